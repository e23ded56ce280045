//! Sample data for `cargo xtask dev`: a small, consistent district, loaded through the API itself.
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
const GRADES: [&str; 13] = [
    "Kindergarten",
    "First grade",
    "Second grade",
    "Third grade",
    "Fourth grade",
    "Fifth grade",
    "Sixth grade",
    "Seventh grade",
    "Eighth grade",
    "Ninth grade",
    "Tenth grade",
    "Eleventh grade",
    "Twelfth grade",
];
/// (schoolId, name, first grade index, last grade index).
const SCHOOLS: [(i64, &str, usize, usize); 3] = [
    (255901044, "Grand Bend Elementary School", 0, 5),
    (255901107, "Grand Bend Middle School", 6, 8),
    (255901001, "Grand Bend High School", 9, 12),
];
/// (course code, title, academic subject).
const COURSES: [(&str, &str, &str); 4] = [
    ("MATH-1", "Mathematics I", "Mathematics"),
    ("ELA-1", "English Language Arts I", "English Language Arts"),
    ("SCI-1", "Science I", "Science"),
    ("SOC-1", "Social Studies I", "Social Studies"),
];
/// (session name, term, begin, end, instructional days).
const SESSIONS: [(&str, &str, &str, &str, i64); 2] = [
    ("2026-2027 Fall Semester", "Fall Semester", "2026-08-17", "2026-12-18", 82),
    ("2026-2027 Spring Semester", "Spring Semester", "2027-01-05", "2027-05-28", 95),
];
const SCHOOL_YEAR: i64 = 2027;
const PERIODS: usize = 6;
const SECTIONS_PER_OFFERING: usize = 2;
const STUDENTS: usize = 300;

fn descriptor_uri(kind: &str, code: &str) -> String {
    format!("uri://ed-fi.org/{kind}#{code}")
}

fn descriptors(kind: &str, codes: &[&str]) -> Vec<Value> {
    codes
        .iter()
        .map(|code| json!({"namespace": format!("uri://ed-fi.org/{kind}"), "codeValue": code, "shortDescription": code}))
        .collect()
}

/// The whole district, resource by resource in load order.
/// Ed-Fi's default descriptor values for every descriptor endpoint the API serves, then the
/// district's own data; a descriptor both list is sent once.
pub fn district() -> Vec<(&'static str, Vec<Value>)> {
    let mut seen = std::collections::HashSet::new();
    let defaults = crate::descriptor_values::committed()
        .into_iter()
        .filter_map(|(endpoint, items)| edfi_core::resources::find(&endpoint).map(|def| (def.name, items)));
    defaults
        .chain(own_data())
        .map(|(resource, items)| {
            let fresh = items.into_iter().filter(|item| {
                let (Some(namespace), Some(code)) = (item["namespace"].as_str(), item["codeValue"].as_str())
                else {
                    return true;
                };
                seen.insert((resource, namespace.to_lowercase(), code.to_lowercase()))
            });
            (resource, fresh.collect())
        })
        .collect()
}

/// The district's schools, calendar, courses, sections, students and the descriptors they use.
fn own_data() -> Vec<(&'static str, Vec<Value>)> {
    let subjects: Vec<&str> = COURSES.iter().map(|c| c.2).collect();
    let terms: Vec<&str> = SESSIONS.iter().map(|s| s.1).collect();
    let students = students(STUDENTS);
    let associations = students.iter().map(student_school_association).collect();
    vec![
        ("gradeLevelDescriptors", descriptors("GradeLevelDescriptor", &GRADES)),
        (
            "educationOrganizationCategoryDescriptors",
            descriptors("EducationOrganizationCategoryDescriptor", &["School"]),
        ),
        ("termDescriptors", descriptors("TermDescriptor", &terms)),
        (
            "courseIdentificationSystemDescriptors",
            descriptors("CourseIdentificationSystemDescriptor", &["LEA course code"]),
        ),
        ("academicSubjectDescriptors", descriptors("AcademicSubjectDescriptor", &subjects)),
        ("schoolTypeDescriptors", descriptors("SchoolTypeDescriptor", &["Regular"])),
        ("sexDescriptors", descriptors("SexDescriptor", &SEXES)),
        ("entryTypeDescriptors", descriptors("EntryTypeDescriptor", &["Next year school"])),
        (
            "schoolYearTypes",
            vec![
                json!({"schoolYear": SCHOOL_YEAR, "schoolYearDescription": "2026-2027", "currentSchoolYear": true}),
            ],
        ),
        ("schools", SCHOOLS.iter().map(school).collect()),
        ("sessions", each_school(|id| SESSIONS.iter().map(|s| session(id, s)).collect())),
        ("courses", each_school(|id| COURSES.iter().map(|c| course(id, c)).collect())),
        ("courseOfferings", each_school(course_offerings)),
        ("classPeriods", each_school(|id| (1..=PERIODS).map(|p| class_period(id, p)).collect())),
        ("sections", each_school(sections)),
        ("students", students),
        ("studentSchoolAssociations", associations),
    ]
}

fn each_school(items: impl Fn(i64) -> Vec<Value>) -> Vec<Value> {
    SCHOOLS.iter().flat_map(|school| items(school.0)).collect()
}

fn school(&(id, name, first, last): &(i64, &str, usize, usize)) -> Value {
    json!({
        "schoolId": id,
        "nameOfInstitution": name,
        "educationOrganizationCategories": [
            {"educationOrganizationCategoryDescriptor": descriptor_uri("EducationOrganizationCategoryDescriptor", "School")}
        ],
        "gradeLevels": GRADES[first..=last]
            .iter()
            .map(|g| json!({"gradeLevelDescriptor": descriptor_uri("GradeLevelDescriptor", g)}))
            .collect::<Vec<_>>(),
        "schoolTypeDescriptor": descriptor_uri("SchoolTypeDescriptor", "Regular"),
    })
}

fn session(school_id: i64, &(name, term, begin, end, days): &(&str, &str, &str, &str, i64)) -> Value {
    json!({
        "sessionName": name,
        "schoolReference": {"schoolId": school_id},
        "schoolYearTypeReference": {"schoolYear": SCHOOL_YEAR},
        "beginDate": begin,
        "endDate": end,
        "termDescriptor": descriptor_uri("TermDescriptor", term),
        "totalInstructionalDays": days,
    })
}

fn course(school_id: i64, &(code, title, subject): &(&str, &str, &str)) -> Value {
    json!({
        "courseCode": code,
        "educationOrganizationReference": {"educationOrganizationId": school_id},
        "courseTitle": title,
        "numberOfParts": 1,
        "identificationCodes": [{
            "courseIdentificationSystemDescriptor": descriptor_uri("CourseIdentificationSystemDescriptor", "LEA course code"),
            "identificationCode": code,
        }],
        "academicSubjects": [{"academicSubjectDescriptor": descriptor_uri("AcademicSubjectDescriptor", subject)}],
    })
}

fn course_offerings(school_id: i64) -> Vec<Value> {
    SESSIONS
        .iter()
        .flat_map(|session| {
            COURSES.iter().map(move |(code, title, _)| {
                json!({
                    "localCourseCode": code,
                    "localCourseTitle": title,
                    "schoolReference": {"schoolId": school_id},
                    "sessionReference": {"schoolId": school_id, "schoolYear": SCHOOL_YEAR, "sessionName": session.0},
                    "courseReference": {"courseCode": code, "educationOrganizationId": school_id},
                })
            })
        })
        .collect()
}

fn class_period_name(period: usize) -> String {
    format!("{period:02} - Traditional")
}

fn class_period(school_id: i64, period: usize) -> Value {
    let start = 7 + period;
    json!({
        "classPeriodName": class_period_name(period),
        "schoolReference": {"schoolId": school_id},
        "meetingTimes": [{"startTime": format!("{start:02}:00:00"), "endTime": format!("{start:02}:50:00")}],
    })
}

fn sections(school_id: i64) -> Vec<Value> {
    let mut sections = Vec::new();
    for (s, session) in SESSIONS.iter().enumerate() {
        for (c, (code, _, _)) in COURSES.iter().enumerate() {
            for n in 1..=SECTIONS_PER_OFFERING {
                let period = 1 + (c * SECTIONS_PER_OFFERING + n - 1) % PERIODS;
                sections.push(json!({
                    "sectionIdentifier": format!("{code}-{}-{n:02}", if s == 0 { "FA" } else { "SP" }),
                    "courseOfferingReference": {
                        "localCourseCode": code,
                        "schoolId": school_id,
                        "schoolYear": SCHOOL_YEAR,
                        "sessionName": session.0,
                    },
                    "sequenceOfCourse": 1,
                    "classPeriods": [{"classPeriodReference": {"classPeriodName": class_period_name(period), "schoolId": school_id}}],
                }));
            }
        }
    }
    sections
}

/// `count` students, the same every time.
pub fn students(count: usize) -> Vec<Value> {
    let mut random = SplitMix64(0x5eed_edf1);
    (0..count)
        .map(|i| {
            let first = FIRST_NAMES[random.below(FIRST_NAMES.len())];
            let last = LAST_NAMES[random.below(LAST_NAMES.len())];
            // Born 2009–2021: kindergarten to twelfth grade in 2026-2027.
            let year = 2009 + random.below(13);
            let month = 1 + random.below(12);
            let day = 1 + random.below(28);
            let mut student = json!({
                "studentUniqueId": format!("{}", 604_800 + i),
                "firstName": first,
                "lastSurname": last,
                "birthDate": format!("{year:04}-{month:02}-{day:02}"),
                "birthCity": CITIES[random.below(CITIES.len())],
                "birthSexDescriptor": descriptor_uri("SexDescriptor", SEXES[random.below(2)]),
            });
            if random.below(3) == 0 {
                student["middleName"] = json!(MIDDLE_NAMES[random.below(MIDDLE_NAMES.len())]);
            }
            student
        })
        .collect()
}

/// The grade a student born in `birth_year` is in during 2026-2027, clamped to K–12.
fn grade_index(birth_year: i64) -> usize {
    (2026 - 5 - birth_year).clamp(0, 12) as usize
}

fn student_school_association(student: &Value) -> Value {
    let birth_year: i64 = student["birthDate"].as_str().unwrap()[..4].parse().unwrap();
    let grade = grade_index(birth_year);
    let school = SCHOOLS.iter().find(|s| (s.2..=s.3).contains(&grade)).expect("every grade has a school");
    json!({
        "studentReference": {"studentUniqueId": student["studentUniqueId"]},
        "schoolReference": {"schoolId": school.0},
        "entryDate": "2026-08-17",
        "entryGradeLevelDescriptor": descriptor_uri("GradeLevelDescriptor", GRADES[grade]),
        "entryTypeDescriptor": descriptor_uri("EntryTypeDescriptor", "Next year school"),
    })
}

/// What seeding did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Loaded {
    pub created: usize,
    pub present: usize,
}

/// POSTs the district, create-only, as the client whose token is given.
pub fn load(base_url: &str, token: &str) -> Result<Loaded> {
    let agent = crate::client::agent();
    let authorization = format!("Bearer {token}");
    let mut loaded = Loaded::default();
    for (resource, items) in district() {
        let url = format!("{base_url}/data/v3/ed-fi/{resource}");
        for item in items {
            let mut response = agent
                .post(&url)
                .header("Content-Type", "application/json")
                .header("Authorization", &authorization)
                .header("If-None-Match", "*")
                .send(item.to_string())
                .map_err(|e| format!("seeding {url}: {e}"))?;
            match response.status().as_u16() {
                201 => loaded.created += 1,
                412 => loaded.present += 1,
                status => {
                    let answer = response.body_mut().read_to_string().unwrap_or_default();
                    return Err(format!("seeding {url} answered {status} for {item}: {answer}"));
                }
            }
        }
    }
    Ok(loaded)
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
    use edfi_core::{Config, Context, MemoryStore, Request};

    #[test]
    fn sample_students_are_deterministic_and_unique() {
        let a = students(300);
        assert_eq!(a, students(300));
        let ids: std::collections::HashSet<_> = a.iter().map(|s| s["studentUniqueId"].clone()).collect();
        assert_eq!(ids.len(), 300);
    }

    /// The whole district loads through the engine in order: every item valid, every reference
    /// resolved, nothing refused.
    #[test]
    fn the_district_loads_cleanly_through_the_engine() {
        let mut store = MemoryStore::new();
        let config = Config::default();
        let mut created = 0u32;
        for (resource, items) in district() {
            for item in items {
                created += 1;
                let mut random = [0u8; 16];
                random[..4].copy_from_slice(&created.to_be_bytes());
                let ctx = Context {
                    now: 0,
                    random,
                    correlation_id: "seed",
                    base_url: "http://test",
                    client: "seed",
                };
                let req = Request::new("POST", &format!("/data/v3/ed-fi/{resource}"))
                    .header("Content-Type", "application/json")
                    .header("If-None-Match", "*")
                    .body(item.to_string());
                let response = edfi_core::handle(&req, &mut store, &config, &ctx).unwrap();
                assert_eq!(
                    response.status,
                    201,
                    "{resource} {item}: {}",
                    String::from_utf8_lossy(&response.body)
                );
            }
        }
        assert!(created > 700, "{created} items");
    }
}
