//! The lengths of a proxy's quiet spells.

use crate::report::words::proxy::heartbeat;
use crate::report::words::proxy::whole_seconds;

#[test]
fn timeouts_read_as_configured_lengths() {
    assert_eq!(whole_seconds(1.999), Some(2));
    assert_eq!(whole_seconds(60.4), Some(60));
    assert_eq!(whole_seconds(0.745), None);
    assert_eq!(whole_seconds(1.7), None);
    assert_eq!(whole_seconds(0.3), None);
    // Timer slop on a loaded host: late, never early (issue 91 item 1).
    assert_eq!(whole_seconds(2.162), Some(2));
    assert_eq!(whole_seconds(5.19), Some(5));
    assert_eq!(whole_seconds(1.85), None);
    assert_eq!(whole_seconds(2.3), None);
    assert_eq!(heartbeat(2.0), 1);
    assert_eq!(heartbeat(60.0), 30);
}

/// A product the client's 101 names is the proxy's only when the backend's 101 does not
/// name it too (then the proxy passed the backend's header on): nginx-idle's front leg
/// says `Server: nginx/1.22.1`, its back leg Python websockets.
#[test]
fn only_a_product_the_proxy_added_names_it() {
    use crate::diagnose::proxied::added_by_proxy;
    use crate::vocab::{Header, Product, ProxyProduct};
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/proxy/nginx-idle.pcap");
    let opts = crate::analyzer::Options {
        threads: 1,
        ..Default::default()
    };
    let report = crate::analyze_files(&[path], opts).unwrap();
    let front = report
        .connections
        .iter()
        .find(|c| c.handshake.proxy_product.is_some())
        .unwrap()
        .clone();
    let mut back = report
        .connections
        .iter()
        .find(|c| c.handshake.proxy_product.is_none())
        .unwrap()
        .clone();
    let named = added_by_proxy(&front, &back).map(|p| p.product);
    assert_eq!(named, Some(Product::Nginx));
    // The backend is nginx too, and the proxy passed its Server on: nothing is named.
    back.handshake.proxy_product = front.handshake.proxy_product.clone();
    assert_eq!(added_by_proxy(&front, &back), None);
    // Another product behind it: the front's is still the proxy's.
    back.handshake.proxy_product = Some(ProxyProduct {
        product: Product::Caddy,
        version: None,
        header: Header::Server,
    });
    assert_eq!(
        added_by_proxy(&front, &back).map(|p| p.product),
        Some(Product::Nginx)
    );
    // Either way round: what the other leg does not carry.
    assert_eq!(
        added_by_proxy(&back, &front).map(|p| p.product),
        Some(Product::Caddy)
    );
    // The client's 101 names nothing: nothing named.
    let mut bare = front.clone();
    bare.handshake.proxy_product = None;
    assert_eq!(added_by_proxy(&bare, &back), None);
}
