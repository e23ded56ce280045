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
const STATE_EDUCATION_AGENCY_ID: i64 = 255950;
/// Grand Bend ISD; its schools' ids extend its own, and an LEA and a school share one id space.
const LOCAL_EDUCATION_AGENCY_ID: i64 = 255901;
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

/// A semester, and the grading period that spans it.
#[derive(Debug, PartialEq, Eq)]
struct Session {
    name: &'static str,
    /// In its sections' identifiers.
    section_code: &'static str,
    term: &'static str,
    grading_period: &'static str,
    begin: &'static str,
    end: &'static str,
    instructional_days: i64,
}

const SESSIONS: [Session; 2] = [
    Session {
        name: "2026-2027 Fall Semester",
        section_code: "FA",
        term: "Fall Semester",
        grading_period: "First Semester",
        begin: "2026-08-17",
        end: "2026-12-18",
        instructional_days: 82,
    },
    Session {
        name: "2026-2027 Spring Semester",
        section_code: "SP",
        term: "Spring Semester",
        grading_period: "Second Semester",
        begin: "2027-01-05",
        end: "2027-05-28",
        instructional_days: 95,
    },
];
const FALL: &Session = &SESSIONS[0];
const SCHOOL_YEAR: i64 = 2027;
const PERIODS: usize = 6;
const SECTIONS_PER_OFFERING: usize = 2;
const STUDENTS: usize = 300;
/// The district is seen at the end of its first two weeks: these days are in the calendar and
/// carry attendance, grades are progress grades and the benchmark has been taken.
const SCHOOL_DAYS: [&str; 10] = [
    "2026-08-17",
    "2026-08-18",
    "2026-08-19",
    "2026-08-20",
    "2026-08-21",
    "2026-08-24",
    "2026-08-25",
    "2026-08-26",
    "2026-08-27",
    "2026-08-28",
];
const LABOR_DAY: &str = "2026-09-07";
const STAFF_BEGIN_DATE: &str = "2026-08-03";
/// One contact (a parent) for each this-many-th student.
const CONTACT_EVERY: usize = 5;
/// Progress grades are posted for each this-many-th student.
const GRADED_EVERY: usize = 4;
const RACES: [&str; 5] = [
    "American Indian or Alaska Native",
    "Asian",
    "Black or African American",
    "Native Hawaiian or Pacific Islander",
    "White",
];
const DISABILITIES: [&str; 4] = [
    "Specific Learning Disability",
    "Speech or Language Impairment",
    "Other Health Impairment",
    "Autism Spectrum Disorders",
];
/// (program name, program type): both run by the LEA.
const GIFTED: (&str, &str) = ("Gifted and Talented", "Gifted and Talented");
const SPECIAL_EDUCATION: (&str, &str) = ("Special Education", "Special Education");
/// The school whose students take the benchmark: the middle school.
const BENCHMARKED_SCHOOL: (i64, &str, usize, usize) = SCHOOLS[1];
const ASSESSMENT_NAMESPACE: &str = "uri://ed-fi.org/Assessment";
const BENCHMARK: &str = "GB-MATH-BOY-2027";
/// (identification code, description, maximum raw score): the benchmark's parts, summing to its maximum.
const OBJECTIVES: [(&str, &str, i64); 3] = [
    ("GB-MATH-BOY-NUM", "Number and Operations", 16),
    ("GB-MATH-BOY-ALG", "Algebraic Reasoning", 14),
    ("GB-MATH-BOY-GEO", "Geometry and Measurement", 10),
];
/// (performance level, lowest raw score): the benchmark's levels, highest first.
const PERFORMANCE_LEVELS: [(&str, i64); 4] =
    [("Advanced", 35), ("Proficient", 26), ("Basic", 16), ("Below Basic", 0)];

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

/// The district's organizations, calendar, master schedule, staff, students and their records.
/// Its descriptor values are Ed-Fi's defaults, seeded before it (those it lists again are sent once).
fn own_data() -> Vec<(&'static str, Vec<Value>)> {
    let subjects: Vec<&str> = COURSES.iter().map(|c| c.2).collect();
    let terms: Vec<&str> = SESSIONS.iter().map(|s| s.term).collect();
    let students = students(STUDENTS);
    let enrollments: Vec<Enrollment> = students.iter().map(Enrollment::of).collect();
    let timetables = timetables(&enrollments);
    let staff = staff();
    let marks = attendance_marks(&timetables);
    let programs = program_participants(&enrollments);
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
        ("stateEducationAgencies", vec![state_education_agency()]),
        ("localEducationAgencies", vec![local_education_agency()]),
        ("schools", SCHOOLS.iter().map(school).collect()),
        ("calendars", SCHOOLS.iter().map(calendar).collect()),
        ("calendarDates", each_school(calendar_dates)),
        ("gradingPeriods", each_school(|id| SESSIONS.iter().map(|s| grading_period(id, s)).collect())),
        ("sessions", each_school(|id| SESSIONS.iter().map(|s| session(id, s)).collect())),
        ("locations", each_school(|id| (0..COURSES.len()).map(|c| location(id, c)).collect())),
        ("courses", each_school(|id| COURSES.iter().map(|c| course(id, c)).collect())),
        ("courseOfferings", each_school(course_offerings)),
        ("classPeriods", each_school(|id| (1..=PERIODS).map(|p| class_period(id, p)).collect())),
        ("sections", each_school(|id| SectionKey::of_school(id).into_iter().map(section).collect())),
        ("staffs", staff.iter().map(StaffMember::body).collect()),
        (
            "staffEducationOrganizationAssignmentAssociations",
            staff.iter().map(StaffMember::assignment).collect(),
        ),
        ("staffSchoolAssociations", staff.iter().filter_map(StaffMember::school_association).collect()),
        ("staffSectionAssociations", each_school(staff_section_associations)),
        ("students", students.clone()),
        ("studentSchoolAssociations", enrollments.iter().map(Enrollment::school_association).collect()),
        ("studentEducationOrganizationAssociations", student_education_organization_associations(&students)),
        ("contacts", contacts(&students)),
        ("studentContactAssociations", with_contact(&students).map(student_contact_association).collect()),
        ("studentSectionAssociations", student_section_associations(&enrollments, &timetables)),
        ("studentSchoolAttendanceEvents", school_attendance_events(&enrollments, &marks)),
        ("studentSectionAttendanceEvents", section_attendance_events(&enrollments, &marks)),
        ("grades", progress_grades(&enrollments, &timetables)),
        ("programs", [GIFTED, SPECIAL_EDUCATION].iter().map(|p| program(*p)).collect()),
        ("studentProgramAssociations", gifted_associations(&enrollments, &programs)),
        (
            "studentSpecialEducationProgramAssociations",
            special_education_associations(&enrollments, &programs),
        ),
        ("assessments", vec![benchmark_assessment()]),
        ("objectiveAssessments", OBJECTIVES.iter().map(objective_assessment).collect()),
        ("studentAssessments", benchmark_results(&enrollments)),
    ]
}

fn each_school(items: impl Fn(i64) -> Vec<Value>) -> Vec<Value> {
    SCHOOLS.iter().flat_map(|school| items(school.0)).collect()
}

fn grade_levels(first: usize, last: usize) -> Vec<Value> {
    GRADES[first..=last]
        .iter()
        .map(|g| json!({"gradeLevelDescriptor": descriptor_uri("GradeLevelDescriptor", g)}))
        .collect()
}

fn education_organization_categories(category: &str) -> Value {
    json!([{"educationOrganizationCategoryDescriptor": descriptor_uri("EducationOrganizationCategoryDescriptor", category)}])
}

fn state_education_agency() -> Value {
    json!({
        "stateEducationAgencyId": STATE_EDUCATION_AGENCY_ID,
        "nameOfInstitution": "Texas Education Agency",
        "categories": education_organization_categories("State Education Agency"),
    })
}

fn local_education_agency() -> Value {
    json!({
        "localEducationAgencyId": LOCAL_EDUCATION_AGENCY_ID,
        "nameOfInstitution": "Grand Bend ISD",
        "categories": education_organization_categories("Local Education Agency"),
        "localEducationAgencyCategoryDescriptor": descriptor_uri("LocalEducationAgencyCategoryDescriptor", "Independent"),
        "stateEducationAgencyReference": {"stateEducationAgencyId": STATE_EDUCATION_AGENCY_ID},
    })
}

fn school(&(id, name, first, last): &(i64, &str, usize, usize)) -> Value {
    json!({
        "schoolId": id,
        "nameOfInstitution": name,
        "educationOrganizationCategories": education_organization_categories("School"),
        "gradeLevels": grade_levels(first, last),
        "schoolTypeDescriptor": descriptor_uri("SchoolTypeDescriptor", "Regular"),
        "localEducationAgencyReference": {"localEducationAgencyId": LOCAL_EDUCATION_AGENCY_ID},
    })
}

fn calendar_code(school_id: i64) -> String {
    format!("{school_id}-{SCHOOL_YEAR}")
}

fn calendar_reference(school_id: i64) -> Value {
    json!({"calendarCode": calendar_code(school_id), "schoolId": school_id, "schoolYear": SCHOOL_YEAR})
}

fn calendar(&(id, _, first, last): &(i64, &str, usize, usize)) -> Value {
    json!({
        "calendarCode": calendar_code(id),
        "schoolReference": {"schoolId": id},
        "schoolYearTypeReference": {"schoolYear": SCHOOL_YEAR},
        "calendarTypeDescriptor": descriptor_uri("CalendarTypeDescriptor", "School"),
        "gradeLevels": grade_levels(first, last),
    })
}

/// The first two weeks' school days, and the holiday after them.
fn calendar_dates(school_id: i64) -> Vec<Value> {
    let days = SCHOOL_DAYS.iter().map(|day| (*day, "Instructional day"));
    days.chain([(LABOR_DAY, "Holiday")])
        .map(|(date, event)| {
            json!({
                "calendarReference": calendar_reference(school_id),
                "date": date,
                "calendarEvents": [{"calendarEventDescriptor": descriptor_uri("CalendarEventDescriptor", event)}],
            })
        })
        .collect()
}

fn grading_period_reference(school_id: i64, session: &Session) -> Value {
    json!({
        "schoolId": school_id,
        "gradingPeriodDescriptor": descriptor_uri("GradingPeriodDescriptor", session.grading_period),
        "gradingPeriodName": session.name,
        "schoolYear": SCHOOL_YEAR,
    })
}

fn grading_period(school_id: i64, session: &Session) -> Value {
    json!({
        "gradingPeriodDescriptor": descriptor_uri("GradingPeriodDescriptor", session.grading_period),
        "gradingPeriodName": session.name,
        "schoolReference": {"schoolId": school_id},
        "schoolYearTypeReference": {"schoolYear": SCHOOL_YEAR},
        "beginDate": session.begin,
        "endDate": session.end,
        "totalInstructionalDays": session.instructional_days,
    })
}

fn session(school_id: i64, session: &Session) -> Value {
    json!({
        "sessionName": session.name,
        "schoolReference": {"schoolId": school_id},
        "schoolYearTypeReference": {"schoolYear": SCHOOL_YEAR},
        "beginDate": session.begin,
        "endDate": session.end,
        "termDescriptor": descriptor_uri("TermDescriptor", session.term),
        "totalInstructionalDays": session.instructional_days,
        "gradingPeriods": [{"gradingPeriodReference": grading_period_reference(school_id, session)}],
    })
}

fn session_reference(school_id: i64, session: &Session) -> Value {
    json!({"schoolId": school_id, "schoolYear": SCHOOL_YEAR, "sessionName": session.name})
}

/// Each course is taught in its own room.
fn classroom(course: usize) -> String {
    format!("Room {}", 101 + course)
}

fn location(school_id: i64, course: usize) -> Value {
    json!({
        "classroomIdentificationCode": classroom(course),
        "schoolReference": {"schoolId": school_id},
        "maximumNumberOfSeats": 30,
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
                    "sessionReference": session_reference(school_id, session),
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

/// One section: the `number`th (from 1) of a course's offering in a school's session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct SectionKey {
    school_id: i64,
    session: &'static Session,
    course: usize,
    number: usize,
}

impl SectionKey {
    fn of_school(school_id: i64) -> Vec<SectionKey> {
        let mut keys = Vec::new();
        for session in &SESSIONS {
            for course in 0..COURSES.len() {
                for number in 1..=SECTIONS_PER_OFFERING {
                    keys.push(SectionKey { school_id, session, course, number });
                }
            }
        }
        keys
    }

    fn identifier(self) -> String {
        format!("{}-{}-{:02}", COURSES[self.course].0, self.session.section_code, self.number)
    }

    /// A course's sections meet in consecutive periods, so one teacher can teach them all.
    fn class_period(self) -> usize {
        1 + (self.course * SECTIONS_PER_OFFERING + self.number - 1) % PERIODS
    }

    fn reference(self) -> Value {
        json!({
            "sectionIdentifier": self.identifier(),
            "localCourseCode": COURSES[self.course].0,
            "schoolId": self.school_id,
            "sessionName": self.session.name,
            "schoolYear": SCHOOL_YEAR,
        })
    }

    fn class_period_reference(self) -> Value {
        json!({"classPeriodName": class_period_name(self.class_period()), "schoolId": self.school_id})
    }
}

fn section(key: SectionKey) -> Value {
    json!({
        "sectionIdentifier": key.identifier(),
        "courseOfferingReference": {
            "localCourseCode": COURSES[key.course].0,
            "schoolId": key.school_id,
            "schoolYear": SCHOOL_YEAR,
            "sessionName": key.session.name,
        },
        "sequenceOfCourse": 1,
        "classPeriods": [{"classPeriodReference": key.class_period_reference()}],
        "locationReference": {"classroomIdentificationCode": classroom(key.course), "schoolId": key.school_id},
        "locationSchoolReference": {"schoolId": key.school_id},
    })
}

/// Someone on the district's payroll, and where they work.
struct StaffMember {
    id: String,
    first_name: &'static str,
    last_surname: &'static str,
    education_organization_id: i64,
    classification: &'static str,
    title: String,
    /// The course a teacher teaches in every section of it at their school.
    course: Option<usize>,
}

/// Staff ids extend their organization's id: 00 its head, 01.. its teachers by course.
fn staff_id(education_organization_id: i64, position: usize) -> String {
    format!("{education_organization_id}{position:02}")
}

/// A superintendent for the LEA; for each school a principal and a teacher per course.
fn staff() -> Vec<StaffMember> {
    let mut random = SplitMix64(0x5eed_57af);
    let mut member = |organization: i64,
                      position: usize,
                      classification: &'static str,
                      title: String,
                      course: Option<usize>| StaffMember {
        id: staff_id(organization, position),
        first_name: FIRST_NAMES[random.below(FIRST_NAMES.len())],
        last_surname: LAST_NAMES[random.below(LAST_NAMES.len())],
        education_organization_id: organization,
        classification,
        title,
        course,
    };
    let mut staff =
        vec![member(LOCAL_EDUCATION_AGENCY_ID, 0, "Superintendent", "Superintendent".into(), None)];
    for &(school_id, ..) in &SCHOOLS {
        staff.push(member(school_id, 0, "Principal", "Principal".into(), None));
        for (course, (_, _, subject)) in COURSES.iter().enumerate() {
            staff.push(member(school_id, course + 1, "Teacher", format!("{subject} Teacher"), Some(course)));
        }
    }
    staff
}

impl StaffMember {
    fn body(&self) -> Value {
        json!({"staffUniqueId": self.id, "firstName": self.first_name, "lastSurname": self.last_surname})
    }

    fn assignment(&self) -> Value {
        json!({
            "staffReference": {"staffUniqueId": self.id},
            "educationOrganizationReference": {"educationOrganizationId": self.education_organization_id},
            "staffClassificationDescriptor": descriptor_uri("StaffClassificationDescriptor", self.classification),
            "beginDate": STAFF_BEGIN_DATE,
            "positionTitle": self.title,
        })
    }

    /// A school's staff work to its calendar; the superintendent has no school.
    fn school_association(&self) -> Option<Value> {
        let &(school_id, _, first, last) = SCHOOLS.iter().find(|s| s.0 == self.education_organization_id)?;
        let mut association = json!({
            "staffReference": {"staffUniqueId": self.id},
            "schoolReference": {"schoolId": school_id},
            "programAssignmentDescriptor": descriptor_uri("ProgramAssignmentDescriptor", "Regular Education"),
            "schoolYearTypeReference": {"schoolYear": SCHOOL_YEAR},
            "calendarReference": calendar_reference(school_id),
            "gradeLevels": grade_levels(first, last),
        });
        if let Some(course) = self.course {
            association["academicSubjects"] = json!([
                {"academicSubjectDescriptor": descriptor_uri("AcademicSubjectDescriptor", COURSES[course].2)}
            ]);
        }
        Some(association)
    }
}

/// Each section's teacher of record: its course's teacher at its school, for the whole session.
fn staff_section_associations(school_id: i64) -> Vec<Value> {
    SectionKey::of_school(school_id)
        .into_iter()
        .map(|key| {
            json!({
                "staffReference": {"staffUniqueId": staff_id(school_id, key.course + 1)},
                "sectionReference": key.reference(),
                "classroomPositionDescriptor": descriptor_uri("ClassroomPositionDescriptor", "Teacher of Record"),
                "beginDate": key.session.begin,
                "endDate": key.session.end,
            })
        })
        .collect()
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

/// A student's place in the district: the school their grade attends.
struct Enrollment {
    student_id: String,
    school_id: i64,
    grade: usize,
}

impl Enrollment {
    fn of(student: &Value) -> Enrollment {
        let birth_year: i64 = student["birthDate"].as_str().unwrap()[..4].parse().unwrap();
        let grade = grade_index(birth_year);
        let school = SCHOOLS.iter().find(|s| (s.2..=s.3).contains(&grade)).expect("every grade has a school");
        Enrollment {
            student_id: student["studentUniqueId"].as_str().unwrap().to_owned(),
            school_id: school.0,
            grade,
        }
    }

    fn student_reference(&self) -> Value {
        json!({"studentUniqueId": self.student_id})
    }

    fn school_association(&self) -> Value {
        json!({
            "studentReference": self.student_reference(),
            "schoolReference": {"schoolId": self.school_id},
            "entryDate": FALL.begin,
            "entryGradeLevelDescriptor": descriptor_uri("GradeLevelDescriptor", GRADES[self.grade]),
            "entryTypeDescriptor": descriptor_uri("EntryTypeDescriptor", "Next year school"),
            "schoolYearTypeReference": {"schoolYear": SCHOOL_YEAR},
            "calendarReference": calendar_reference(self.school_id),
        })
    }
}

/// Each student's demographics, as the LEA records them.
fn student_education_organization_associations(students: &[Value]) -> Vec<Value> {
    let mut random = SplitMix64(0x5eed_de40);
    students
        .iter()
        .map(|student| {
            json!({
                "studentReference": {"studentUniqueId": student["studentUniqueId"]},
                "educationOrganizationReference": {"educationOrganizationId": LOCAL_EDUCATION_AGENCY_ID},
                "sexDescriptor": student["birthSexDescriptor"],
                "hispanicLatinoEthnicity": random.below(4) == 0,
                "races": [{"raceDescriptor": descriptor_uri("RaceDescriptor", RACES[random.below(RACES.len())])}],
            })
        })
        .collect()
}

/// The students whose parent is on file.
fn with_contact(students: &[Value]) -> impl Iterator<Item = &Value> {
    students.iter().step_by(CONTACT_EVERY)
}

fn contact_id(student: &Value) -> String {
    format!("P{}", student["studentUniqueId"].as_str().unwrap())
}

/// One parent per student with a contact, sharing the student's surname.
fn contacts(students: &[Value]) -> Vec<Value> {
    let mut random = SplitMix64(0x5eed_c047);
    with_contact(students)
        .map(|student| {
            json!({
                "contactUniqueId": contact_id(student),
                "firstName": FIRST_NAMES[random.below(FIRST_NAMES.len())],
                "lastSurname": student["lastSurname"],
            })
        })
        .collect()
}

fn student_contact_association(student: &Value) -> Value {
    json!({
        "studentReference": {"studentUniqueId": student["studentUniqueId"]},
        "contactReference": {"contactUniqueId": contact_id(student)},
        "relationDescriptor": descriptor_uri("RelationDescriptor", "Parent"),
        "primaryContactStatus": true,
        "livesWith": true,
        "emergencyContactStatus": true,
        "legalGuardian": true,
        "contactPriority": 1,
    })
}

/// Each student's fall sections at their school: three of the four courses, no two in one period.
fn timetables(enrollments: &[Enrollment]) -> Vec<Vec<SectionKey>> {
    let mut random = SplitMix64(0x5eed_71be);
    enrollments
        .iter()
        .map(|enrollment| {
            let skipped = random.below(COURSES.len());
            let mut sections: Vec<SectionKey> = Vec::new();
            for course in (0..COURSES.len()).filter(|c| *c != skipped) {
                let first_choice = random.below(SECTIONS_PER_OFFERING);
                let section = (0..SECTIONS_PER_OFFERING)
                    .map(|k| SectionKey {
                        school_id: enrollment.school_id,
                        session: FALL,
                        course,
                        number: 1 + (first_choice + k) % SECTIONS_PER_OFFERING,
                    })
                    .find(|candidate| sections.iter().all(|s| s.class_period() != candidate.class_period()))
                    .expect("a course's sections meet in different periods");
                sections.push(section);
            }
            sections
        })
        .collect()
}

fn student_section_association_reference(enrollment: &Enrollment, section: SectionKey) -> Value {
    let mut reference = section.reference();
    reference["studentUniqueId"] = json!(enrollment.student_id);
    reference["beginDate"] = json!(section.session.begin);
    reference
}

fn student_section_associations(enrollments: &[Enrollment], timetables: &[Vec<SectionKey>]) -> Vec<Value> {
    enrollments
        .iter()
        .zip(timetables)
        .flat_map(|(enrollment, sections)| {
            sections.iter().map(|section| {
                json!({
                    "studentReference": enrollment.student_reference(),
                    "sectionReference": section.reference(),
                    "beginDate": section.session.begin,
                })
            })
        })
        .collect()
}

/// A departure from plain presence: a day's absence from school, or a late arrival to one section.
struct AttendanceMark {
    student: usize,
    day: &'static str,
    category: &'static str,
    section: Option<SectionKey>,
}

/// About one student-day in a hundred is an excused or unexcused absence, two are tardies.
fn attendance_marks(timetables: &[Vec<SectionKey>]) -> Vec<AttendanceMark> {
    let mut random = SplitMix64(0x5eed_a77e);
    let mut marks = Vec::new();
    for (student, sections) in timetables.iter().enumerate() {
        for day in SCHOOL_DAYS {
            let (category, section) = match random.below(200) {
                0 => ("Excused Absence", None),
                1 => ("Unexcused Absence", None),
                2..=5 => ("Tardy", Some(sections[random.below(sections.len())])),
                _ => continue,
            };
            marks.push(AttendanceMark { student, day, category, section });
        }
    }
    marks
}

fn school_attendance_events(enrollments: &[Enrollment], marks: &[AttendanceMark]) -> Vec<Value> {
    marks
        .iter()
        .filter(|mark| mark.section.is_none())
        .map(|mark| {
            let enrollment = &enrollments[mark.student];
            json!({
                "studentReference": enrollment.student_reference(),
                "schoolReference": {"schoolId": enrollment.school_id},
                "sessionReference": session_reference(enrollment.school_id, FALL),
                "eventDate": mark.day,
                "attendanceEventCategoryDescriptor": descriptor_uri("AttendanceEventCategoryDescriptor", mark.category),
            })
        })
        .collect()
}

fn section_attendance_events(enrollments: &[Enrollment], marks: &[AttendanceMark]) -> Vec<Value> {
    marks
        .iter()
        .filter_map(|mark| mark.section.map(|section| (mark, section)))
        .map(|(mark, section)| {
            // Ten minutes into the period.
            let arrival = format!("{:02}:10:00", 7 + section.class_period());
            json!({
                "studentReference": enrollments[mark.student].student_reference(),
                "sectionReference": section.reference(),
                "eventDate": mark.day,
                "attendanceEventCategoryDescriptor": descriptor_uri("AttendanceEventCategoryDescriptor", mark.category),
                "arrivalTime": arrival,
                "classPeriods": [{"classPeriodReference": section.class_period_reference()}],
            })
        })
        .collect()
}

fn letter_grade(numeric: usize) -> &'static str {
    match numeric {
        90.. => "A",
        80..=89 => "B",
        70..=79 => "C",
        60..=69 => "D",
        _ => "F",
    }
}

/// Progress grades, as of the end of the second week, in each graded student's fall sections.
fn progress_grades(enrollments: &[Enrollment], timetables: &[Vec<SectionKey>]) -> Vec<Value> {
    let mut random = SplitMix64(0x5eed_96ad);
    let mut grades = Vec::new();
    for (enrollment, sections) in enrollments.iter().zip(timetables).step_by(GRADED_EVERY) {
        for section in sections {
            let numeric = 55 + random.below(46);
            grades.push(json!({
                "studentSectionAssociationReference": student_section_association_reference(enrollment, *section),
                "gradingPeriodReference": grading_period_reference(section.school_id, section.session),
                "gradeTypeDescriptor": descriptor_uri("GradeTypeDescriptor", "Progress Report"),
                "numericGradeEarned": numeric,
                "letterGradeEarned": letter_grade(numeric),
                "currentGradeIndicator": true,
                "currentGradeAsOfDate": SCHOOL_DAYS[SCHOOL_DAYS.len() - 1],
            }));
        }
    }
    grades
}

fn program_reference((name, program_type): (&str, &str)) -> Value {
    json!({
        "educationOrganizationId": LOCAL_EDUCATION_AGENCY_ID,
        "programName": name,
        "programTypeDescriptor": descriptor_uri("ProgramTypeDescriptor", program_type),
    })
}

fn program((name, program_type): (&str, &str)) -> Value {
    json!({
        "educationOrganizationReference": {"educationOrganizationId": LOCAL_EDUCATION_AGENCY_ID},
        "programName": name,
        "programTypeDescriptor": descriptor_uri("ProgramTypeDescriptor", program_type),
    })
}

/// Which students are in a program: about one in twelve gifted, one in twelve in special
/// education, none in both.
#[derive(Default)]
struct ProgramParticipants {
    gifted: Vec<usize>,
    special_education: Vec<usize>,
}

fn program_participants(enrollments: &[Enrollment]) -> ProgramParticipants {
    let mut random = SplitMix64(0x5eed_9a06);
    let mut participants = ProgramParticipants::default();
    for student in 0..enrollments.len() {
        match random.below(12) {
            0 => participants.gifted.push(student),
            1 => participants.special_education.push(student),
            _ => {}
        }
    }
    participants
}

fn program_association(enrollment: &Enrollment, program: (&str, &str)) -> Value {
    json!({
        "studentReference": enrollment.student_reference(),
        "programReference": program_reference(program),
        "educationOrganizationReference": {"educationOrganizationId": LOCAL_EDUCATION_AGENCY_ID},
        "beginDate": FALL.begin,
    })
}

fn gifted_associations(enrollments: &[Enrollment], participants: &ProgramParticipants) -> Vec<Value> {
    participants.gifted.iter().map(|&student| program_association(&enrollments[student], GIFTED)).collect()
}

fn special_education_associations(
    enrollments: &[Enrollment],
    participants: &ProgramParticipants,
) -> Vec<Value> {
    let mut random = SplitMix64(0x5eed_5bed);
    participants
        .special_education
        .iter()
        .map(|&student| {
            let mut association = program_association(&enrollments[student], SPECIAL_EDUCATION);
            let disability = DISABILITIES[random.below(DISABILITIES.len())];
            association["disabilities"] =
                json!([{"disabilityDescriptor": descriptor_uri("DisabilityDescriptor", disability)}]);
            association["ideaEligibility"] = json!(true);
            association["specialEducationSettingDescriptor"] = json!(descriptor_uri(
                "SpecialEducationSettingDescriptor",
                "Inside regular class 80% or more of the day"
            ));
            association
        })
        .collect()
}

fn raw_score(maximum: i64) -> Value {
    json!([{
        "assessmentReportingMethodDescriptor": descriptor_uri("AssessmentReportingMethodDescriptor", "Raw score"),
        "minimumScore": "0",
        "maximumScore": maximum.to_string(),
        "resultDatatypeTypeDescriptor": descriptor_uri("ResultDatatypeTypeDescriptor", "Integer"),
    }])
}

/// When the benchmark is given.
fn second_week() -> &'static [&'static str] {
    &SCHOOL_DAYS[5..]
}

fn benchmark_maximum() -> i64 {
    OBJECTIVES.iter().map(|o| o.2).sum()
}

fn benchmark_assessment() -> Value {
    let maximum = benchmark_maximum();
    let levels: Vec<Value> = PERFORMANCE_LEVELS
        .iter()
        .enumerate()
        .map(|(i, &(level, lowest))| {
            let highest = if i == 0 { maximum } else { PERFORMANCE_LEVELS[i - 1].1 - 1 };
            json!({
                "performanceLevelDescriptor": descriptor_uri("PerformanceLevelDescriptor", level),
                "assessmentReportingMethodDescriptor": descriptor_uri("AssessmentReportingMethodDescriptor", "Raw score"),
                "minimumScore": lowest.to_string(),
                "maximumScore": highest.to_string(),
            })
        })
        .collect();
    json!({
        "assessmentIdentifier": BENCHMARK,
        "namespace": ASSESSMENT_NAMESPACE,
        "assessmentTitle": "Grand Bend Beginning-of-Year Mathematics Benchmark",
        "assessmentCategoryDescriptor": descriptor_uri("AssessmentCategoryDescriptor", "Benchmark test"),
        "academicSubjects": [{"academicSubjectDescriptor": descriptor_uri("AcademicSubjectDescriptor", "Mathematics")}],
        "assessedGradeLevels": grade_levels(BENCHMARKED_SCHOOL.2, BENCHMARKED_SCHOOL.3),
        "educationOrganizationReference": {"educationOrganizationId": LOCAL_EDUCATION_AGENCY_ID},
        "maxRawScore": maximum,
        "scores": raw_score(maximum),
        "performanceLevels": levels,
        "periods": [{
            "assessmentPeriodDescriptor": descriptor_uri("AssessmentPeriodDescriptor", "Beginning of Year"),
            "beginDate": second_week()[0],
            "endDate": second_week()[second_week().len() - 1],
        }],
    })
}

fn objective_assessment_reference(code: &str) -> Value {
    json!({"identificationCode": code, "assessmentIdentifier": BENCHMARK, "namespace": ASSESSMENT_NAMESPACE})
}

fn objective_assessment(&(code, description, maximum): &(&str, &str, i64)) -> Value {
    json!({
        "assessmentReference": {"assessmentIdentifier": BENCHMARK, "namespace": ASSESSMENT_NAMESPACE},
        "identificationCode": code,
        "description": description,
        "academicSubjectDescriptor": descriptor_uri("AcademicSubjectDescriptor", "Mathematics"),
        "maxRawScore": maximum,
        "percentOfAssessment": maximum as f64 / benchmark_maximum() as f64,
        "scores": raw_score(maximum),
    })
}

fn score_result(score: i64) -> Value {
    json!([{
        "assessmentReportingMethodDescriptor": descriptor_uri("AssessmentReportingMethodDescriptor", "Raw score"),
        "result": score.to_string(),
        "resultDatatypeTypeDescriptor": descriptor_uri("ResultDatatypeTypeDescriptor", "Integer"),
    }])
}

/// Every middle-school student took the benchmark during the second week.
fn benchmark_results(enrollments: &[Enrollment]) -> Vec<Value> {
    let mut random = SplitMix64(0x5eed_b0b0);
    enrollments
        .iter()
        .filter(|enrollment| enrollment.school_id == BENCHMARKED_SCHOOL.0)
        .map(|enrollment| {
            let scores: Vec<i64> = OBJECTIVES.iter().map(|o| random.below(o.2 as usize + 1) as i64).collect();
            let total: i64 = scores.iter().sum();
            let level = PERFORMANCE_LEVELS.iter().find(|l| total >= l.1).expect("the lowest level starts at 0").0;
            let day = second_week()[random.below(second_week().len())];
            let objectives: Vec<Value> = OBJECTIVES
                .iter()
                .zip(&scores)
                .map(|(objective, score)| {
                    json!({
                        "objectiveAssessmentReference": objective_assessment_reference(objective.0),
                        "scoreResults": score_result(*score),
                    })
                })
                .collect();
            json!({
                "studentAssessmentIdentifier": format!("{BENCHMARK}-{}", enrollment.student_id),
                "assessmentReference": {"assessmentIdentifier": BENCHMARK, "namespace": ASSESSMENT_NAMESPACE},
                "studentReference": enrollment.student_reference(),
                "administrationDate": format!("{day}T09:00:00Z"),
                "schoolYearTypeReference": {"schoolYear": SCHOOL_YEAR},
                "reportedSchoolReference": {"schoolId": enrollment.school_id},
                "whenAssessedGradeLevelDescriptor": descriptor_uri("GradeLevelDescriptor", GRADES[enrollment.grade]),
                "scoreResults": score_result(total),
                "performanceLevels": [{
                    "performanceLevelDescriptor": descriptor_uri("PerformanceLevelDescriptor", level),
                    "assessmentReportingMethodDescriptor": descriptor_uri("AssessmentReportingMethodDescriptor", "Raw score"),
                }],
                "studentObjectiveAssessments": objectives,
            })
        })
        .collect()
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
    use std::collections::{HashMap, HashSet};

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
                    client_name: "seed",
                    admin: false,
                    scope: None,
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

    fn items<'a>(district: &'a [(&str, Vec<Value>)], resource: &str) -> &'a [Value] {
        district.iter().find(|(name, _)| *name == resource).map_or(&[], |(_, items)| items.as_slice())
    }

    /// The values at `members` of each item, as one comparable text per item.
    fn keys<'a>(items: impl IntoIterator<Item = &'a Value>, members: &[&str]) -> HashSet<String> {
        items.into_iter().map(|item| key(item, members)).collect()
    }

    fn key(item: &Value, members: &[impl AsRef<str>]) -> String {
        let values: Vec<&Value> = members
            .iter()
            .map(|m| item.pointer(m.as_ref()).unwrap_or_else(|| panic!("{}", m.as_ref())))
            .collect();
        serde_json::to_string(&values).unwrap()
    }

    const SECTION_KEY: [&str; 5] = [
        "/sectionIdentifier",
        "/courseOfferingReference/localCourseCode",
        "/courseOfferingReference/schoolId",
        "/courseOfferingReference/sessionName",
        "/courseOfferingReference/schoolYear",
    ];
    const SECTION_REFERENCE: [&str; 5] = [
        "/sectionReference/sectionIdentifier",
        "/sectionReference/localCourseCode",
        "/sectionReference/schoolId",
        "/sectionReference/sessionName",
        "/sectionReference/schoolYear",
    ];

    const STUDENT_IN_SECTION: [&str; 4] = [
        "/studentReference/studentUniqueId",
        "/sectionReference/sectionIdentifier",
        "/sectionReference/schoolId",
        "/sectionReference/sessionName",
    ];

    /// `STUDENT_IN_SECTION` as a grade names it.
    const GRADED_STUDENT_IN_SECTION: [&str; 4] = [
        "/studentSectionAssociationReference/studentUniqueId",
        "/studentSectionAssociationReference/sectionIdentifier",
        "/studentSectionAssociationReference/schoolId",
        "/studentSectionAssociationReference/sessionName",
    ];

    #[test]
    fn every_resource_family_has_items() {
        let district = district();
        let families = [
            "stateEducationAgencies",
            "localEducationAgencies",
            "schools",
            "calendars",
            "calendarDates",
            "gradingPeriods",
            "sessions",
            "courses",
            "courseOfferings",
            "classPeriods",
            "locations",
            "sections",
            "staffs",
            "staffEducationOrganizationAssignmentAssociations",
            "staffSchoolAssociations",
            "staffSectionAssociations",
            "students",
            "studentSchoolAssociations",
            "studentSectionAssociations",
            "studentEducationOrganizationAssociations",
            "contacts",
            "studentContactAssociations",
            "studentSchoolAttendanceEvents",
            "studentSectionAttendanceEvents",
            "grades",
            "assessments",
            "objectiveAssessments",
            "studentAssessments",
            "programs",
            "studentProgramAssociations",
            "studentSpecialEducationProgramAssociations",
        ];
        for family in families {
            assert!(!items(&district, family).is_empty(), "no {family}");
        }
        let total: usize = district.iter().map(|(_, items)| items.len()).sum();
        assert!(total < 7_000, "{total} items: seeding one POST at a time should stay quick");
    }

    /// What the engine cannot see: items agree across resources, not only reference existing ones.
    #[test]
    fn the_district_s_records_agree_with_each_other() {
        let district = district();
        let lea = &items(&district, "localEducationAgencies")[0];
        let school_ids = keys(items(&district, "schools"), &["/schoolId"]);
        assert!(
            !school_ids.contains(&key(lea, &["/localEducationAgencyId"])),
            "an LEA and a school share ids"
        );
        for school in items(&district, "schools") {
            assert_eq!(
                school["localEducationAgencyReference"]["localEducationAgencyId"],
                lea["localEducationAgencyId"]
            );
        }

        // Students attend sections of the school they are enrolled in, one section a period.
        let enrolled = keys(
            items(&district, "studentSchoolAssociations"),
            &["/studentReference/studentUniqueId", "/schoolReference/schoolId"],
        );
        let sections = keys(items(&district, "sections"), &SECTION_KEY);
        let mut periods_taken = HashSet::new();
        let period_of: HashMap<String, &Value> = items(&district, "sections")
            .iter()
            .map(|s| (key(s, &SECTION_KEY), &s["classPeriods"][0]["classPeriodReference"]["classPeriodName"]))
            .collect();
        for association in items(&district, "studentSectionAssociations") {
            let section = key(association, &SECTION_REFERENCE);
            assert!(sections.contains(&section), "{association}");
            let student_at_school =
                key(association, &["/studentReference/studentUniqueId", "/sectionReference/schoolId"]);
            assert!(enrolled.contains(&student_at_school), "{association}");
            let student_in_session =
                key(association, &["/studentReference/studentUniqueId", "/sectionReference/sessionName"]);
            assert!(periods_taken.insert((student_in_session, period_of[&section])), "{association}");
        }

        // Each section has one teacher of record, who works at its school.
        let taught: Vec<String> =
            items(&district, "staffSectionAssociations").iter().map(|a| key(a, &SECTION_REFERENCE)).collect();
        let distinct: HashSet<String> = taught.iter().cloned().collect();
        assert_eq!(distinct.len(), taught.len(), "a section with two teachers of record");
        assert_eq!(distinct, sections);
        let staff_at_school = keys(
            items(&district, "staffSchoolAssociations"),
            &["/staffReference/staffUniqueId", "/schoolReference/schoolId"],
        );
        for association in items(&district, "staffSectionAssociations") {
            let assigned = key(association, &["/staffReference/staffUniqueId", "/sectionReference/schoolId"]);
            assert!(staff_at_school.contains(&assigned), "{association}");
        }

        // A grade is for an existing student-section pair, in the grading period of the section's session.
        let attending = keys(items(&district, "studentSectionAssociations"), &STUDENT_IN_SECTION);
        for grade in items(&district, "grades") {
            assert!(attending.contains(&key(grade, &GRADED_STUDENT_IN_SECTION)), "{grade}");
            assert_eq!(
                grade["gradingPeriodReference"]["gradingPeriodName"],
                grade["studentSectionAssociationReference"]["sessionName"]
            );
        }

        // Attendance is taken on the instructional days of the student's school, in the student's sections.
        let instructional_days: HashSet<String> = items(&district, "calendarDates")
            .iter()
            .filter(|d| {
                d["calendarEvents"][0]["calendarEventDescriptor"]
                    .as_str()
                    .unwrap()
                    .ends_with("#Instructional day")
            })
            .map(|d| key(d, &["/calendarReference/schoolId", "/date"]))
            .collect();
        for event in items(&district, "studentSchoolAttendanceEvents") {
            assert!(
                instructional_days.contains(&key(event, &["/schoolReference/schoolId", "/eventDate"])),
                "{event}"
            );
            assert!(
                enrolled.contains(&key(
                    event,
                    &["/studentReference/studentUniqueId", "/schoolReference/schoolId"]
                )),
                "{event}"
            );
        }
        for event in items(&district, "studentSectionAttendanceEvents") {
            assert!(
                instructional_days.contains(&key(event, &["/sectionReference/schoolId", "/eventDate"])),
                "{event}"
            );
            assert!(attending.contains(&key(event, &STUDENT_IN_SECTION)), "{event}");
        }

        // Assessment results are reported by the school the student attends; contacts belong to students.
        for result in items(&district, "studentAssessments") {
            assert!(
                enrolled.contains(&key(
                    result,
                    &["/studentReference/studentUniqueId", "/reportedSchoolReference/schoolId"]
                )),
                "{result}"
            );
        }
        let students = keys(items(&district, "students"), &["/studentUniqueId"]);
        let contacts = keys(items(&district, "contacts"), &["/contactUniqueId"]);
        for association in items(&district, "studentContactAssociations") {
            assert!(
                students.contains(&key(association, &["/studentReference/studentUniqueId"])),
                "{association}"
            );
            assert!(
                contacts.contains(&key(association, &["/contactReference/contactUniqueId"])),
                "{association}"
            );
        }
    }
}
