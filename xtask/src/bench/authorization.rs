//! What authorization costs (issue 17: at most 10 % slower): the same requests from a
//! full-access client and from a SIS vendor scoped to the district's local agency, in
//! alternating rounds. The vendor's every request finds the agency's schools down the hierarchy;
//! its GET of a student follows the student's enrollment, and its POST of an enrollment checks
//! the school and writes the relation the enrollment states (as the full-access POST does too).

use serde_json::{json, Value};

use super::{by_id_in, median_rate, parallel_with, with_cpu, Phase, CLIENTS};
use crate::bench::{idempotency_key, port_of};
use crate::client::{create_scoped_client, token};
use crate::lean_http::Connection;
use crate::Result;

const INSTANCE: &str = "bench-authz";
const AGENCY: i64 = 1_000;
const SCHOOLS: [i64; 4] = [1_001, 1_002, 1_003, 1_004];
const ENROLLMENTS: &str = "/data/v3/ed-fi/studentSchoolAssociations";
const STUDENTS: &str = "/data/v3/ed-fi/students";

/// How much the phases do: enrolled students read, GETs and creates per phase, rounds.
pub struct Sizes {
    pub students: usize,
    pub reads: usize,
    pub creates: usize,
    pub rounds: usize,
}

pub struct AuthorizationCost {
    pub rounds: usize,
    /// Median requests/s over the rounds: (authorization off, on).
    pub get: (f64, f64),
    pub post: (f64, f64),
    /// The median over rounds of each round's on/off rate ratio: pairs taken side by side.
    pub get_paired: f64,
    pub post_paired: f64,
    /// Server CPU µs per request, median: (off, on).
    pub get_cpu: (f64, f64),
    pub post_cpu: (f64, f64),
    /// Answers that were not 200 or 201, over every round.
    pub failures: usize,
    pub phases: Vec<Phase>,
    /// A CPU profile of the scoped GETs (workerd only).
    pub profile: Option<(&'static str, String, crate::profile::Summary)>,
}

fn student(n: usize) -> Value {
    json!({"studentUniqueId": format!("ZE{n:07}"), "firstName": "Scoped", "lastSurname": format!("Student {n}"), "birthDate": "2012-01-01"})
}

/// Enrollment `n` of one of the `students` enrolled students: the `n`th entry date from 2000 on
/// (28 days a month), so each is a new item.
fn enrollment(n: usize, students: usize) -> Value {
    let date = format!("{}-{:02}-{:02}", 2000 + n / 336, 1 + (n / 28) % 12, 1 + n % 28);
    json!({
        "entryDate": date,
        "entryGradeLevelDescriptor": "uri://ed-fi.org/GradeLevelDescriptor#Ninth grade",
        "schoolReference": {"schoolId": SCHOOLS[n % students % SCHOOLS.len()]},
        "studentReference": {"studentUniqueId": format!("ZE{:07}", n % students)},
    })
}

/// POSTs each body to `path` from [`CLIENTS`] connections; each must answer 201. Each carries
/// an `Idempotency-Key` made of its body's digest, so no two bodies share one.
fn post_all(base: &str, authorization: &str, path: &str, bodies: &[Value], name: &str) -> Phase {
    let bodies: Vec<String> = bodies.iter().map(Value::to_string).collect();
    let keys: Vec<String> = bodies
        .iter()
        .map(|body| {
            idempotency_key(&edfi_core::idempotency::fingerprint("POST", path, body.as_bytes())[..40])
        })
        .collect();
    let port = port_of(base);
    parallel_with(
        name,
        bodies.len(),
        CLIENTS,
        || Connection::new(port),
        |connection, i| {
            let key = [(edfi_core::idempotency::HEADER, keys[i].as_str())];
            matches!(connection.send("POST", path, authorization, &key, Some(bodies[i].as_bytes())), Ok(201))
        },
    )
}

/// A client of the bench instance with `scope` members, and its `Authorization` value.
fn client(base: &str, admin_token: &str, scope: Value) -> Result<String> {
    let mut body = json!({"name": "authorization bench", "instance": INSTANCE});
    body.as_object_mut().unwrap().extend(scope.as_object().cloned().unwrap_or_default());
    let (key, secret) = create_scoped_client(base, admin_token, body)?;
    Ok(format!("Bearer {}", token(base, &key, &secret)?.ok_or("the new client's credential was refused")?))
}

/// Sets up the instance (an agency, its schools, `students` enrolled students), then alternates
/// full-access and scoped rounds of `reads` GETs by id and `creates` POSTs of new enrollments
/// (later entries of the same students).
pub fn measure(
    base: &str,
    admin: (&str, &str),
    server_group: u32,
    profiler: Option<(&std::path::Path, u16)>,
    sizes: Sizes,
) -> Result<AuthorizationCost> {
    let Sizes { students, reads, creates, rounds } = sizes;
    let admin_token = token(base, admin.0, admin.1)?.ok_or("the administrator's credential was refused")?;
    let full = client(base, &admin_token, json!({}))?;
    let scoped = client(
        base,
        &admin_token,
        json!({"claimSetName": "SIS Vendor", "educationOrganizationIds": [AGENCY]}),
    )?;
    let descriptors = [
        ("educationOrganizationCategoryDescriptors", "EducationOrganizationCategoryDescriptor", "School"),
        ("gradeLevelDescriptors", "GradeLevelDescriptor", "Ninth grade"),
        ("localEducationAgencyCategoryDescriptors", "LocalEducationAgencyCategoryDescriptor", "Independent"),
    ];
    for (resource, kind, code) in descriptors {
        let body = json!({"namespace": format!("uri://ed-fi.org/{kind}"), "codeValue": code, "shortDescription": code});
        post_all(base, &full, &format!("/data/v3/ed-fi/{resource}"), &[body], &format!("setup {resource}"));
    }
    let category = "uri://ed-fi.org/EducationOrganizationCategoryDescriptor#School";
    let agency = json!({
        "localEducationAgencyId": AGENCY, "nameOfInstitution": "Bench district",
        "categories": [{"educationOrganizationCategoryDescriptor": category}],
        "localEducationAgencyCategoryDescriptor": "uri://ed-fi.org/LocalEducationAgencyCategoryDescriptor#Independent",
    });
    post_all(base, &full, "/data/v3/ed-fi/localEducationAgencies", &[agency], "setup agency");
    let schools: Vec<Value> = SCHOOLS
        .iter()
        .map(|id| {
            json!({
                "schoolId": id, "nameOfInstitution": format!("School {id}"),
                "educationOrganizationCategories": [{"educationOrganizationCategoryDescriptor": category}],
                "gradeLevels": [{"gradeLevelDescriptor": "uri://ed-fi.org/GradeLevelDescriptor#Ninth grade"}],
                "localEducationAgencyReference": {"localEducationAgencyId": AGENCY},
            })
        })
        .collect();
    post_all(base, &full, "/data/v3/ed-fi/schools", &schools, "setup schools");
    // Enrolled students to read, and students with no enrollment yet for each round's creates.
    let enrolled: Vec<Value> = (0..students).map(student).collect();
    post_all(base, &full, STUDENTS, &enrolled, "setup students");
    let enrollments: Vec<Value> = (0..students).map(|n| enrollment(n, students)).collect();
    post_all(base, &full, ENROLLMENTS, &enrollments, "setup enrollments");
    let ids = super::ids(base, &full, students);
    let get = |authorization: &str, name: &str| {
        let port = port_of(base);
        parallel_with(
            name,
            reads,
            CLIENTS,
            || Connection::new(port),
            |c, i| matches!(c.get(&by_id_in(STUDENTS, &ids, i), authorization), Ok(200)),
        )
    };
    get(&full, "warm up GET, authorization off");
    get(&scoped, "warm up GET, authorization on");
    let mut phases = Vec::new();
    for round in 0..rounds {
        for (authorization, on) in [(&full, false), (&scoped, true)] {
            let label = if on { "on (SIS Vendor of the agency)" } else { "off (full access)" };
            phases.push(with_cpu(server_group, || {
                get(authorization, &format!("GET student by id, authorization {label}"))
            }));
            // Later enrollments of the enrolled students, each round's its own.
            let first = students + (2 * round + usize::from(on)) * creates;
            let bodies: Vec<Value> = (first..first + creates).map(|n| enrollment(n, students)).collect();
            let name = format!("POST new enrollment, authorization {label}");
            phases
                .push(with_cpu(server_group, || post_all(base, authorization, ENROLLMENTS, &bodies, &name)));
        }
    }
    let profile = match profiler {
        Some((root, port)) => {
            Some(super::profiled(root, port, "GET by id, authorization on", "get-scoped", || {
                get(&scoped, "profiled");
            })?)
        }
        None => None,
    };
    let failures = phases.iter().map(|p| p.failures).sum();
    let of = |prefix: &str, on: bool| -> Vec<&Phase> {
        phases.iter().filter(|p| p.name.starts_with(prefix) && p.name.contains(" on ") == on).collect()
    };
    let pair = |prefix: &str| (median_rate(&of(prefix, false)), median_rate(&of(prefix, true)));
    let cpu = |prefix: &str, on: bool| {
        let mut cpu: Vec<f64> =
            of(prefix, on).iter().filter_map(|p| p.cpu.map(|(server, _)| server)).collect();
        crate::contention::median(&mut cpu)
    };
    let paired = |prefix: &str| {
        let (off, on) = (of(prefix, false), of(prefix, true));
        let mut ratios: Vec<f64> = off.iter().zip(&on).map(|(off, on)| on.rate() / off.rate()).collect();
        crate::contention::median(&mut ratios)
    };
    Ok(AuthorizationCost {
        rounds,
        get: pair("GET student"),
        post: pair("POST new enrollment"),
        get_paired: paired("GET student"),
        post_paired: paired("POST new enrollment"),
        get_cpu: (cpu("GET student", false), cpu("GET student", true)),
        post_cpu: (cpu("POST new enrollment", false), cpu("POST new enrollment", true)),
        failures,
        phases,
        profile,
    })
}

/// The report's section: each request kind off and on, and how much slower on is.
pub fn section(cost: &AuthorizationCost) -> String {
    let mut md = format!(
        "\n## Authorization on vs off (median of {} alternating rounds, {CLIENTS} clients; target: at most 10 % slower)\n\n| request | off: full access | on: SIS Vendor of the agency | slower | slower, median of the rounds' pairs | server CPU µs off → on | met |\n|---|---:|---:|---:|---:|---:|---|\n",
        cost.rounds
    );
    for (what, (off, on), paired, (cpu_off, cpu_on)) in [
        ("GET student by id", cost.get, cost.get_paired, cost.get_cpu),
        ("POST new enrollment", cost.post, cost.post_paired, cost.post_cpu),
    ] {
        let slower = 1.0 - on / off;
        // Met only if both ways of reading the rounds agree.
        let met = if cost.failures == 0 && slower <= 0.10 && 1.0 - paired <= 0.10 { "met" } else { "missed" };
        md.push_str(&format!(
            "| {what} | {off:.0}/s | {on:.0}/s | {:.1} % | {:.1} % | {cpu_off:.0} → {cpu_on:.0} | {met} |\n",
            100.0 * slower,
            100.0 * (1.0 - paired)
        ));
    }
    md.push_str(&format!("\n{} answers were not 200 or 201.\n", cost.failures));
    md
}
