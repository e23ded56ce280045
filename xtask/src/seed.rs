//! Sample data for `cargo xtask dev`, loaded through the API itself.
//!
//! Every item is sent with `If-None-Match: *` (create-only), so seeding again never overwrites a
//! record someone has edited since.

use serde_json::{json, Value};

use crate::Result;

const FIRST_NAMES: [&str; 24] = [
    "Olivia", "Liam", "Emma", "Noah", "Ava", "Mateo", "Sophia", "Elijah", "Isabella", "Lucas", "Mia",
    "Aiden", "Amara", "Santiago", "Harper", "Kenji", "Zoe", "Malik", "Priya", "Diego", "Layla", "Ethan",
    "Nadia", "Samuel",
];
const LAST_NAMES: [&str; 20] = [
    "Garcia",
    "Johnson",
    "Nguyen",
    "Smith",
    "Martinez",
    "Brown",
    "Okafor",
    "Williams",
    "Patel",
    "Hernandez",
    "Kim",
    "Davis",
    "Lopez",
    "Wilson",
    "Chen",
    "Anderson",
    "Thomas",
    "Rivera",
    "Moore",
    "Singh",
];
const MIDDLE_NAMES: [&str; 6] = ["Grace", "James", "Marie", "Lee", "Rose", "Alexander"];
const CITIES: [&str; 5] = ["Austin", "Dallas", "Houston", "El Paso", "San Antonio"];
const SEXES: [&str; 2] = ["Female", "Male"];

/// `count` students, the same every time.
pub fn students(count: usize) -> Vec<Value> {
    let mut random = SplitMix64(0x5eed_edf1);
    (0..count)
        .map(|i| {
            let first = FIRST_NAMES[random.below(FIRST_NAMES.len())];
            let last = LAST_NAMES[random.below(LAST_NAMES.len())];
            let year = 2008 + random.below(10);
            let month = 1 + random.below(12);
            let day = 1 + random.below(28);
            let mut student = json!({
                "studentUniqueId": format!("{}", 604_800 + i),
                "firstName": first,
                "lastSurname": last,
                "birthDate": format!("{year:04}-{month:02}-{day:02}"),
                "birthCity": CITIES[random.below(CITIES.len())],
                "birthSexDescriptor": format!("uri://ed-fi.org/SexDescriptor#{}", SEXES[random.below(2)]),
            });
            if random.below(3) == 0 {
                student["middleName"] = json!(MIDDLE_NAMES[random.below(MIDDLE_NAMES.len())]);
            }
            student
        })
        .collect()
}

/// POSTs the sample data; returns (created, already present).
pub fn load(base_url: &str, count: usize) -> Result<(usize, usize)> {
    let agent =
        ureq::Agent::new_with_config(ureq::config::Config::builder().http_status_as_error(false).build());
    let url = format!("{base_url}/data/v3/ed-fi/students");
    let (mut created, mut present) = (0, 0);
    for student in students(count) {
        let response = agent
            .post(&url)
            .header("Content-Type", "application/json")
            .header("If-None-Match", "*")
            .send(student.to_string())
            .map_err(|e| format!("seeding {url}: {e}"))?;
        match response.status().as_u16() {
            201 => created += 1,
            412 => present += 1,
            status => return Err(format!("seeding {url} answered {status} for {student}")),
        }
    }
    Ok((created, present))
}

/// A small deterministic generator, so the sample data is the same on every machine.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_students_are_deterministic_unique_and_valid() {
        let a = students(300);
        assert_eq!(a, students(300));
        let ids: std::collections::HashSet<_> = a.iter().map(|s| s["studentUniqueId"].clone()).collect();
        assert_eq!(ids.len(), 300);
        for student in &a {
            let body = student.as_object().unwrap();
            assert_eq!(
                edfi_core::validate::validate(&edfi_core::resources::STUDENTS, body),
                Ok(()),
                "{student}"
            );
        }
    }
}
