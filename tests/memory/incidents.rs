//! The incident stage under the memory budget (issue 102 item 7): what it keeps per ending
//! and per incident is charged to its room (`memory::incidents_room`, `incident::endings_in`).

use super::json;
use std::path::Path;
use wsclose::keys::KeySources;
use wsclose::Options;

/// The incident stage's data is charged to its room (`memory::incidents_room`, issue 102 item
/// 7): at the least budget (1 MiB of 32 MiB) the endings the index keeps, with the sweeps'
/// list of accepted sessions beside each (32 bytes) and the incidents they can make (one per
/// three endings, at most `MAX_INCIDENTS`) at `INCIDENT_BYTES` each, fit the room; and the
/// recorded incidents' words, listed connections and bars fit `INCIDENT_BYTES`' estimate.
/// (Before: the room was cut in endings of 320 bytes alone, 3 274 of them here, whose 1 000
/// incidents could take 6 656 876 bytes of a 1 048 576-byte room.) Not a child's peak: what
/// the stage keeps is a thirty-second of the budget, under what `ru_maxrss` can tell apart.
#[test]
fn the_incident_stages_data_is_charged_to_its_room() {
    use wsclose::incident::{
        Index, ACCEPTED_BYTES, ENDING_BYTES, INCIDENT_BYTES, INCIDENT_WORDS_BYTES, LISTED,
        MAX_BINS, MAX_INCIDENTS, MIN_MEMBERS,
    };
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let keys = KeySources {
        files: vec![],
        env: None,
    };
    let room = (32 << 20) / 32;
    let mut index = Index::default();
    index.set_room(room);
    let fixture = dir.join("incident3/eventlet-upstream-1011-503.pcap.gz");
    let mut r =
        wsclose::analyze_files_with_progress(&[fixture], Options::default(), &keys, None).unwrap();
    r.load().unwrap();
    let pushed = 5_000usize;
    for k in 0..pushed {
        wsclose::report::incidents::keep(
            &mut index,
            k as u64,
            &r.connections[k % r.connections.len()],
        );
    }
    let kept = pushed - index.left_out() as usize;
    let incidents = (kept / MIN_MEMBERS).min(MAX_INCIDENTS);
    let held =
        kept * (ENDING_BYTES + ACCEPTED_BYTES) + index.said_bytes() + incidents * INCIDENT_BYTES;
    assert!(
        held <= room,
        "{kept} endings, {incidents} incidents: {held} > {room}"
    );
    assert!(kept > 300, "{kept}");

    // What the recorded incidents hold fits the estimate.
    for name in [
        "incident3/eventlet-upstream-1011-503.pcap.gz",
        "incident3/robyn-restart-ratelimited.pcap.gz",
        "incident2/starlette-plan-4002.pcap.gz",
        "incident/aiohttp-restart.pcap.gz",
    ] {
        let v = json(&dir.join(name), 1, Options::default());
        for i in v["incidents"].as_array().unwrap() {
            let text = |k: &str| i[k].as_str().map_or(0, str::len);
            let said = serde_json::to_string(&i["facts"]["said"]).unwrap().len()
                + serde_json::to_string(&i["reconnects"]["refused_said"])
                    .unwrap()
                    .len();
            let words = text("cause") + text("fix") + text("server") + text("client") + said;
            assert!(words <= INCIDENT_WORDS_BYTES, "{name}: {words}");
            assert!(i["connections"].as_array().unwrap().len() <= LISTED);
            assert!(i["bins"].as_array().unwrap().len() <= MAX_BINS);
        }
    }
}
