//! The connection preface (RFC 9113 §3.4): split at every byte, recognized, wrong, and
//! not followed by SETTINGS.

use super::*;

#[test]
fn preface_split_at_every_byte() {
    let mut bytes = PREFACE.to_vec();
    bytes.extend(settings_frame(&[(0x8, 1)]));
    for cut in 0..=PREFACE.len() {
        for cut2 in cut..=PREFACE.len() {
            let (evs, _) = read(true, &[&bytes[..cut], &bytes[cut..cut2], &bytes[cut2..]]);
            assert_eq!(
                evs,
                vec![Ev::Settings {
                    from_client: true,
                    ecp: Some(true)
                }],
                "cuts {cut} {cut2}"
            );
        }
    }
}

#[test]
fn looks_like_preface_cases() {
    assert!(looks_like_preface(PREFACE));
    assert!(looks_like_preface(b"PRI * HT"));
    assert!(looks_like_preface(
        &[PREFACE.as_slice(), b"\0\0\0\x04"].concat()
    ));
    assert!(!looks_like_preface(b""));
    assert!(!looks_like_preface(b"GET / HTTP/1.1\r\n"));
    assert!(!looks_like_preface(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\r"));
}

#[test]
fn wrong_preface_is_lost() {
    for (i, bad) in [&b"GET / HTTP/1.1\r\n\r\n"[..], b"PRI * HTTP/2.0\r\n\r\nXX"]
        .iter()
        .enumerate()
    {
        let (evs, conn) = read(true, &[bad, &settings_frame(&[])]);
        assert_eq!(
            evs,
            vec![Ev::Lost {
                from_client: true,
                reason: LostReason::NoPreface
            }],
            "{i}"
        );
        assert!(conn.is_lost(true));
        assert!(!conn.is_lost(false));
    }
}

#[test]
fn first_frame_must_be_settings() {
    let bytes = [PREFACE.as_slice(), &frame(0x6, 0, 0, b"12345678")].concat();
    assert_eq!(
        read_whole(true, &bytes),
        vec![Ev::Lost {
            from_client: true,
            reason: LostReason::Frame(FrameError::FirstNotSettings {
                kind: FrameType::PING
            })
        }]
    );
    // The server has no preface: SETTINGS first.
    let ok = [settings_frame(&[(0x8, 1)]), frame(0x6, 0, 0, b"12345678")].concat();
    assert_eq!(
        read_whole(false, &ok),
        vec![Ev::Settings {
            from_client: false,
            ecp: Some(true)
        }]
    );
}
