//! Request bodies through the whole engine: any bytes as a POST or PUT of any resource answer a
//! status below 500 and never panic, and a keyed PUT sent twice is replayed without a write.
#![no_main]

use edfi_core::{handle, resources, Config, Context, MemoryStore, Request};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else { return };
    let all = resources::all();
    let def = all[selector as usize % all.len()];
    let mut store = MemoryStore::new();
    let ctx = Context {
        now: 1_795_603_441,
        random: [7; 16],
        correlation_id: "fuzz",
        base_url: "http://fuzz",
        client: "fuzz",
            client_name: "fuzz",
            admin: false,
            scope: None,
    };
    let post = Request::new("POST", &format!("/data/v3/ed-fi/{}", def.name))
        .header("Content-Type", "application/json")
        .body(body.to_vec());
    let response = handle(&post, &mut store, &Config::default(), &ctx).expect("memory storage does not fail");
    assert!(response.status < 500, "{}", response.status);
    if let Some(location) = response.header("Location") {
        let path = location.trim_start_matches("http://fuzz").to_owned();
        let put = Request::new("PUT", &path)
            .header("Content-Type", "application/json")
            .header("Idempotency-Key", "\"fuzz-retry\"")
            .body(body.to_vec());
        let response =
            handle(&put, &mut store, &Config::default(), &ctx).expect("memory storage does not fail");
        assert!(response.status < 500, "{}", response.status);
        // The same keyed request again is its first answer replayed, and writes nothing.
        let before = store.clone();
        let replay =
            handle(&put, &mut store, &Config::default(), &ctx).expect("memory storage does not fail");
        assert_eq!((replay.status, &replay.body), (response.status, &response.body));
        assert_eq!(replay.header("Idempotency-Replayed"), Some("true"));
        assert!(store == before, "a replay changed the store");
    }
});
