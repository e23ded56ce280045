use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde_json::{json, Value};

use super::{read, File, Record, Refused};
use crate::validate::validate;

const NS: &str = "http://ed-fi.org/5.2.0";

/// An interchange file of `root` holding `records`.
fn interchange(root: &str, records: &str) -> String {
    format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<{root} xmlns=\"{NS}\">\n{records}\n</{root}>\n")
}

fn converted(root: &str, records: &str) -> File {
    read(&interchange(root, records)).unwrap_or_else(|e| panic!("the file is refused: {e:?}"))
}

/// The one record of a file that must convert cleanly, checked against the model.
fn only_record(root: &str, records: &str) -> Record {
    let mut file = converted(root, records);
    assert_eq!(file.refused, [], "nothing is refused");
    assert_eq!(file.records.len(), 1, "one record");
    let record = file.records.remove(0);
    assert_valid(&record);
    record
}

fn assert_valid(record: &Record) {
    let body = record.body.as_object().expect("a body is an object");
    if let Err(problems) = validate(record.resource, body) {
        panic!(
            "<{}> at line {} does not validate: {problems:?}\n{:#}",
            record.element, record.line, record.body
        );
    }
}

#[test]
fn a_student_has_its_name_and_birth_data_flattened() {
    let record = only_record(
        "InterchangeStudent",
        "  <Student id=\"S1\">
    <StudentUniqueId>604821</StudentUniqueId>
    <Name>
      <PersonalTitlePrefix>Mr</PersonalTitlePrefix>
      <FirstName>Tyrone</FirstName>
      <LastSurname> Dyer </LastSurname>
    </Name>
    <BirthData>
      <BirthDate>2014-11-13</BirthDate>
      <MultipleBirthStatus>0</MultipleBirthStatus>
    </BirthData>
  </Student>",
    );
    assert_eq!(record.resource.name, "students");
    assert_eq!((record.element.as_str(), record.line), ("Student", 3));
    assert!(!record.is_identity_only());
    // The student unique id is a string in the model; white space around a value is layout.
    assert_eq!(
        record.body,
        json!({
            "studentUniqueId": "604821",
            "personalTitlePrefix": "Mr",
            "firstName": "Tyrone",
            "lastSurname": "Dyer",
            "birthDate": "2014-11-13",
            "multipleBirthStatus": false
        })
    );
}

#[test]
fn a_school_has_collections_descriptors_and_a_typed_id() {
    let record = only_record(
        "InterchangeEducationOrganization",
        "<School id=\"GBHS\">
  <EducationOrganizationIdentificationCode>
    <IdentificationCode>255901001</IdentificationCode>
    <EducationOrganizationIdentificationSystem>uri://ed-fi.org/EducationOrganizationIdentificationSystemDescriptor#SEA</EducationOrganizationIdentificationSystem>
  </EducationOrganizationIdentificationCode>
  <NameOfInstitution>Grand Bend High School</NameOfInstitution>
  <EducationOrganizationCategory>uri://ed-fi.org/EducationOrganizationCategoryDescriptor#School</EducationOrganizationCategory>
  <Address>
    <StreetNumberName>456 Oak Street</StreetNumberName>
    <City>Grand Bend</City>
    <StateAbbreviation>uri://ed-fi.org/StateAbbreviationDescriptor#TX</StateAbbreviation>
    <PostalCode>73334</PostalCode>
    <AddressType>uri://ed-fi.org/AddressTypeDescriptor#Physical</AddressType>
    <Latitude>30.125</Latitude>
    <DoNotPublishIndicator>true</DoNotPublishIndicator>
    <Period><BeginDate>2020-08-01</BeginDate></Period>
    <Period><BeginDate>2010-08-01</BeginDate><EndDate>2019-06-01</EndDate></Period>
  </Address>
  <Address>
    <StreetNumberName>P.O. Box 9376</StreetNumberName>
    <City>Grand Bend</City>
    <StateAbbreviation>uri://ed-fi.org/StateAbbreviationDescriptor#TX</StateAbbreviation>
    <PostalCode>73334-9376</PostalCode>
    <AddressType>uri://ed-fi.org/AddressTypeDescriptor#Mailing</AddressType>
  </Address>
  <SchoolId>255901001</SchoolId>
  <GradeLevel>uri://ed-fi.org/GradeLevelDescriptor#Ninth grade</GradeLevel>
  <GradeLevel>uri://ed-fi.org/GradeLevelDescriptor#Tenth grade</GradeLevel>
  <LocalEducationAgencyReference>
    <LocalEducationAgencyIdentity><LocalEducationAgencyId>255901</LocalEducationAgencyId></LocalEducationAgencyIdentity>
  </LocalEducationAgencyReference>
</School>",
    );
    assert_eq!(record.resource.name, "schools");
    assert_eq!(
        record.body,
        json!({
            "identificationCodes": [{
                "identificationCode": "255901001",
                "educationOrganizationIdentificationSystemDescriptor":
                    "uri://ed-fi.org/EducationOrganizationIdentificationSystemDescriptor#SEA"
            }],
            "nameOfInstitution": "Grand Bend High School",
            "educationOrganizationCategories": [{
                "educationOrganizationCategoryDescriptor": "uri://ed-fi.org/EducationOrganizationCategoryDescriptor#School"
            }],
            "addresses": [
                {
                    "streetNumberName": "456 Oak Street",
                    "city": "Grand Bend",
                    "stateAbbreviationDescriptor": "uri://ed-fi.org/StateAbbreviationDescriptor#TX",
                    "postalCode": "73334",
                    "addressTypeDescriptor": "uri://ed-fi.org/AddressTypeDescriptor#Physical",
                    // A string in the model (Ed-Fi's `Latitude` is text), so it stays one.
                    "latitude": "30.125",
                    "doNotPublishIndicator": true,
                    "periods": [
                        {"beginDate": "2020-08-01"},
                        {"beginDate": "2010-08-01", "endDate": "2019-06-01"}
                    ]
                },
                {
                    "streetNumberName": "P.O. Box 9376",
                    "city": "Grand Bend",
                    "stateAbbreviationDescriptor": "uri://ed-fi.org/StateAbbreviationDescriptor#TX",
                    "postalCode": "73334-9376",
                    "addressTypeDescriptor": "uri://ed-fi.org/AddressTypeDescriptor#Mailing"
                }
            ],
            "schoolId": 255901001,
            "gradeLevels": [
                {"gradeLevelDescriptor": "uri://ed-fi.org/GradeLevelDescriptor#Ninth grade"},
                {"gradeLevelDescriptor": "uri://ed-fi.org/GradeLevelDescriptor#Tenth grade"}
            ],
            "localEducationAgencyReference": {"localEducationAgencyId": 255901}
        })
    );
}

const SECTION_IDENTITY: &str = "<SectionIdentity>
  <SectionIdentifier>25590100102Trad220ALG112011</SectionIdentifier>
  <CourseOfferingReference><CourseOfferingIdentity>
    <LocalCourseCode>ALG-1</LocalCourseCode>
    <SchoolReference><SchoolIdentity><SchoolId>255901001</SchoolId></SchoolIdentity></SchoolReference>
    <SessionReference><SessionIdentity>
      <SessionName>2021-2022 Fall Semester</SessionName>
      <SchoolYear>2021-2022</SchoolYear>
      <SchoolReference><SchoolIdentity><SchoolId>SESSION_SCHOOL</SchoolId></SchoolIdentity></SchoolReference>
    </SessionIdentity></SessionReference>
  </CourseOfferingIdentity></CourseOfferingReference>
</SectionIdentity>";

fn section_identity(session_school: &str) -> String {
    SECTION_IDENTITY.replace("SESSION_SCHOOL", session_school)
}

fn section_reference_json() -> Value {
    json!({
        "sectionIdentifier": "25590100102Trad220ALG112011",
        "localCourseCode": "ALG-1",
        "schoolId": 255901001,
        "sessionName": "2021-2022 Fall Semester",
        "schoolYear": 2022
    })
}

fn attendance_event(section_identity: &str) -> String {
    format!(
        "<StudentSectionAttendanceEvent>
  <AttendanceEvent>
    <EventDate>2022-03-07</EventDate>
    <AttendanceEventCategory>uri://ed-fi.org/AttendanceEventCategoryDescriptor#Tardy</AttendanceEventCategory>
  </AttendanceEvent>
  <StudentReference><StudentIdentity><StudentUniqueId>604945</StudentUniqueId></StudentIdentity></StudentReference>
  <SectionReference>{section_identity}</SectionReference>
  <ClassPeriodReference><ClassPeriodIdentity>
    <ClassPeriodName>01 - Traditional</ClassPeriodName>
    <SchoolReference><SchoolIdentity><SchoolId>255901001</SchoolId></SchoolIdentity></SchoolReference>
  </ClassPeriodIdentity></ClassPeriodReference>
</StudentSectionAttendanceEvent>"
    )
}

#[test]
fn a_reference_carries_its_nested_identities_flattened() {
    let record =
        only_record("InterchangeStudentAttendance", &attendance_event(&section_identity("255901001")));
    assert_eq!(record.resource.name, "studentSectionAttendanceEvents");
    assert_eq!(
        record.body,
        json!({
            "eventDate": "2022-03-07",
            "attendanceEventCategoryDescriptor": "uri://ed-fi.org/AttendanceEventCategoryDescriptor#Tardy",
            "studentReference": {"studentUniqueId": "604945"},
            // The school is held twice (the course offering's and its session's): one member.
            "sectionReference": section_reference_json(),
            "classPeriods": [{"classPeriodReference": {"classPeriodName": "01 - Traditional", "schoolId": 255901001}}]
        })
    );
}

#[test]
fn a_unified_key_held_twice_must_agree() {
    let file = converted("InterchangeStudentAttendance", &attendance_event(&section_identity("255901107")));
    assert_eq!(file.records.len(), 0);
    let [refused] = file.refused.as_slice() else { panic!("one problem: {:?}", file.refused) };
    assert_eq!(refused.element, "SchoolId");
    assert_eq!((refused.line, refused.column), (17, 40), "the session's <SchoolId>");
    assert!(
        refused
            .message
            .starts_with("gives schoolId the value 255901107, but an earlier element gave it 255901001"),
        "{}",
        refused.message
    );
    assert!(
        refused.message.ends_with("(in <StudentSectionAttendanceEvent> at line 3)"),
        "{}",
        refused.message
    );
}

#[test]
fn school_years_are_the_year_they_end_in_also_inside_references() {
    let record = only_record(
        "InterchangeStudentEnrollment",
        "<StudentSchoolAssociation>
  <StudentReference><StudentIdentity><StudentUniqueId>604821</StudentUniqueId></StudentIdentity></StudentReference>
  <SchoolReference><SchoolIdentity><SchoolId>255901001</SchoolId></SchoolIdentity></SchoolReference>
  <EntryDate>2021-08-23</EntryDate>
  <EntryGradeLevel>uri://ed-fi.org/GradeLevelDescriptor#Ninth grade</EntryGradeLevel>
  <SchoolYear>2021-2022</SchoolYear>
  <ClassOfSchoolYear>2024-2025</ClassOfSchoolYear>
  <GraduationPlanReference><GraduationPlanIdentity>
    <GraduationPlanType>uri://ed-fi.org/GraduationPlanTypeDescriptor#Recommended</GraduationPlanType>
    <EducationOrganizationReference><EducationOrganizationIdentity><EducationOrganizationId>255901001</EducationOrganizationId></EducationOrganizationIdentity></EducationOrganizationReference>
    <GraduationSchoolYear>2024-2025</GraduationSchoolYear>
  </GraduationPlanIdentity></GraduationPlanReference>
  <NextYearSchoolReference><SchoolIdentity><SchoolId>255901107</SchoolId></SchoolIdentity></NextYearSchoolReference>
</StudentSchoolAssociation>",
    );
    assert_eq!(
        record.body,
        json!({
            "studentReference": {"studentUniqueId": "604821"},
            "schoolReference": {"schoolId": 255901001},
            "entryDate": "2021-08-23",
            "entryGradeLevelDescriptor": "uri://ed-fi.org/GradeLevelDescriptor#Ninth grade",
            "schoolYearTypeReference": {"schoolYear": 2022},
            "classOfSchoolYearTypeReference": {"schoolYear": 2025},
            "graduationPlanReference": {
                "graduationPlanTypeDescriptor": "uri://ed-fi.org/GraduationPlanTypeDescriptor#Recommended",
                "educationOrganizationId": 255901001,
                "graduationSchoolYear": 2025
            },
            "nextYearSchoolReference": {"schoolId": 255901107}
        })
    );
}

#[test]
fn a_value_not_of_its_type_is_refused_where_it_is() {
    let file = converted(
        "InterchangeEducationOrganization",
        "<School>
  <NameOfInstitution>A</NameOfInstitution>
  <SchoolId>25590x</SchoolId>
  <EducationOrganizationCategory>uri://ed-fi.org/EducationOrganizationCategoryDescriptor#School</EducationOrganizationCategory>
</School>
<Session>
  <SessionName>Fall</SessionName>
  <SchoolYear>2021-2023</SchoolYear>
  <SchoolReference><SchoolIdentity><SchoolId>1</SchoolId></SchoolIdentity></SchoolReference>
</Session>",
    );
    let problems: Vec<(&str, u32, u32, &str)> =
        file.refused.iter().map(|r| (r.element.as_str(), r.line, r.column, r.message.as_str())).collect();
    assert_eq!(
        problems,
        [
            ("SchoolId", 5, 3, "\"25590x\" is not a whole number (in <School> at line 3)"),
            (
                "SchoolYear",
                10,
                3,
                "\"2021-2023\" is not a school year such as 2021-2022 (in <Session> at line 8)"
            ),
        ]
    );
    assert_eq!(file.records.len(), 0);
}

#[test]
fn numbers_and_booleans_take_their_xsd_spellings() {
    use super::{decimal, integer};
    assert_eq!(integer("+0042"), Ok(json!(42)));
    assert_eq!(integer("-7"), Ok(json!(-7)));
    assert!(integer("4.0").is_err());
    assert!(integer("").is_err());
    assert_eq!(decimal("7.20"), Ok(json!(7.2)));
    assert_eq!(decimal("-.5"), Ok(json!(-0.5)));
    assert_eq!(decimal("12."), Ok(json!(12)));
    assert_eq!(decimal("100.00"), Ok(json!(100)));
    assert_eq!(decimal("0.0000000000000012345"), Ok(json!(0.0000000000000012345)));
    assert!(decimal("1.0000000000000001").is_err(), "beyond what a double keeps");
    assert!(decimal(".").is_err());
    assert!(decimal("1e3").is_err());
    let record = only_record(
        "InterchangeStudentEnrollment",
        "<StudentTransportation>
  <StudentReference><StudentIdentity><StudentUniqueId>604822</StudentUniqueId></StudentIdentity></StudentReference>
  <TransportationEducationOrganizationReference><EducationOrganizationIdentity><EducationOrganizationId>255901</EducationOrganizationId></EducationOrganizationIdentity></TransportationEducationOrganizationReference>
  <StudentBusDetails>
    <BusNumber>Bus 101</BusNumber>
    <BusRoute>uri://gbisd.edu/BusRouteDescriptor#101</BusRoute>
    <TravelDayofWeek>uri://ed-fi.org/TravelDayofWeekDescriptor#Monday</TravelDayofWeek>
    <TravelDayofWeek>uri://ed-fi.org/TravelDayofWeekDescriptor#Friday</TravelDayofWeek>
    <TravelDirection>uri://ed-fi.org/TravelDirectionDescriptor#To and From School</TravelDirection>
    <Mileage>7.20</Mileage>
  </StudentBusDetails>
</StudentTransportation>",
    );
    assert_eq!(
        record.body["studentBusDetails"],
        json!({
            "busNumber": "Bus 101",
            "busRouteDescriptor": "uri://gbisd.edu/BusRouteDescriptor#101",
            "travelDayofWeeks": [
                {"travelDayofWeekDescriptor": "uri://ed-fi.org/TravelDayofWeekDescriptor#Monday"},
                {"travelDayofWeekDescriptor": "uri://ed-fi.org/TravelDayofWeekDescriptor#Friday"}
            ],
            "travelDirections": [{"travelDirectionDescriptor": "uri://ed-fi.org/TravelDirectionDescriptor#To and From School"}],
            "mileage": 7.2
        })
    );
    assert_eq!(
        record.body["transportationEducationOrganizationReference"],
        json!({"educationOrganizationId": 255901})
    );
}

#[test]
fn a_descriptor_is_its_members() {
    let record = only_record(
        "InterchangeDescriptors",
        "<BusRouteDescriptor>
  <CodeValue>101</CodeValue>
  <ShortDescription>Bus Route 101</ShortDescription>
  <Description>Stops:
    Main Street</Description>
  <Namespace>uri://gbisd.edu/BusRouteDescriptor</Namespace>
</BusRouteDescriptor>",
    );
    assert_eq!(record.resource.name, "busRouteDescriptors");
    assert_eq!(
        record.body,
        json!({
            "codeValue": "101",
            "shortDescription": "Bus Route 101",
            "description": "Stops:\n    Main Street",
            "namespace": "uri://gbisd.edu/BusRouteDescriptor"
        })
    );
}

#[test]
fn an_unknown_element_is_refused_and_the_rest_of_the_file_converts() {
    let file = converted(
        "InterchangeStudent",
        "<Student>
  <StudentUniqueId>1</StudentUniqueId>
  <Name><FirstName>A</FirstName><Nickname>Al</Nickname><LastSurname>B</LastSurname></Name>
  <BirthData><BirthDate>2010-01-01</BirthDate></BirthData>
</Student>
<Spaceship><Name>Heart of Gold</Name></Spaceship>
<Student>
  <StudentUniqueId>2</StudentUniqueId>
  <Name><FirstName>C</FirstName><LastSurname>D</LastSurname></Name>
  <BirthData><BirthDate>2011-01-01</BirthDate></BirthData>
</Student>
<x:Student xmlns:x=\"urn:other\"/>",
    );
    assert_eq!(file.interchange, "InterchangeStudent");
    let problems: Vec<(&str, u32, u32, &str)> =
        file.refused.iter().map(|r| (r.element.as_str(), r.line, r.column, r.message.as_str())).collect();
    assert_eq!(
        problems,
        [
            (
                "Nickname",
                5,
                33,
                "<Nickname> is not a member of <Name> in this API's Ed-Fi 5.2 model (in <Student> at line 3)"
            ),
            ("Spaceship", 8, 1, "<Spaceship> is not a record of this API's Ed-Fi 5.2 model"),
            (
                "Student",
                14,
                1,
                "<Student> is in namespace \"urn:other\", not Ed-Fi's \"http://ed-fi.org/5.2.0\""
            ),
        ]
    );
    let [record] = file.records.as_slice() else { panic!("one record converts: {:?}", file.records) };
    assert_eq!((record.body["studentUniqueId"].as_str(), record.line), (Some("2"), 9));
    assert_valid(record);
}

#[test]
fn text_where_elements_belong_is_refused() {
    let file = converted(
        "InterchangeStudent",
        "<Student><StudentUniqueId>1</StudentUniqueId>stray<Name><FirstName>A</FirstName>\
         <LastSurname>B</LastSurname></Name><BirthData><BirthDate><Day>1</Day></BirthDate></BirthData></Student>",
    );
    let problems: Vec<(&str, &str)> =
        file.refused.iter().map(|r| (r.element.as_str(), r.message.as_str())).collect();
    assert_eq!(
        problems,
        [
            ("Student", "text in <Student>, which holds elements (in <Student> at line 3)"),
            ("BirthDate", "holds elements where a value belongs (in <Student> at line 3)"),
        ]
    );
    let file = converted("InterchangeStudent", "stray");
    assert_eq!(file.refused[0].element, "InterchangeStudent");
    assert_eq!(file.refused[0].message, "text outside any record");
}

#[test]
fn malformed_xml_is_an_error_with_its_line() {
    let error = read("<?xml version=\"1.0\"?>\n<InterchangeStudent xmlns=\"http://ed-fi.org/5.2.0\">\n  <Student>\n    <StudentUniqueId>1</StudentUnique>\n").unwrap_err();
    assert_eq!((error.element.as_str(), error.line), ("", 4));
    assert!(error.message.starts_with("the file is not well-formed XML"), "{}", error.message);
    let error =
        read("<InterchangeStudent xmlns=\"http://ed-fi.org/5.2.0\"><!DOCTYPE x></InterchangeStudent>");
    assert!(error.is_err(), "a document type declaration is refused");
}

#[test]
fn the_root_must_be_an_ed_fi_interchange() {
    let error = read(&format!("<Students xmlns=\"{NS}\"><Student/></Students>")).unwrap_err();
    assert_eq!((error.element.as_str(), error.line, error.column), ("Students", 1, 1));
    assert!(error.message.contains("not an Ed-Fi interchange"), "{}", error.message);
    let error = read("\n <InterchangeStudent xmlns=\"http://ed-fi.org/5.1.0\"/>").unwrap_err();
    assert_eq!((error.line, error.column), (2, 2));
    assert!(error.message.contains("\"http://ed-fi.org/5.1.0\""), "{}", error.message);
}

#[test]
fn a_reference_by_ref_carries_the_identity_of_the_record_with_that_id() {
    let file = converted(
        "InterchangeContact",
        "<StudentContactAssociation>
  <StudentReference><StudentIdentity><StudentUniqueId>604821</StudentUniqueId></StudentIdentity></StudentReference>
  <ContactReference ref=\"C1\"/>
</StudentContactAssociation>
<Contact id=\"C1\">
  <ContactUniqueId>7001</ContactUniqueId>
  <Name><FirstName>Ann</FirstName><LastSurname>Dyer</LastSurname></Name>
</Contact>",
    );
    assert_eq!(file.refused, []);
    let elements: Vec<&str> = file.records.iter().map(|r| r.element.as_str()).collect();
    assert_eq!(elements, ["StudentContactAssociation", "Contact"], "in document order");
    assert_eq!(file.records[0].body["contactReference"], json!({"contactUniqueId": "7001"}));
    file.records.iter().for_each(assert_valid);
}

#[test]
fn a_ref_to_a_subclass_carries_its_key_under_the_references_names() {
    let file = converted(
        "InterchangeStudentEnrollment",
        "<LocalEducationAgency id=\"LEA\">
  <NameOfInstitution>Grand Bend ISD</NameOfInstitution>
  <EducationOrganizationCategory>uri://ed-fi.org/EducationOrganizationCategoryDescriptor#Local Education Agency</EducationOrganizationCategory>
  <LocalEducationAgencyId>255901</LocalEducationAgencyId>
  <LocalEducationAgencyCategory>uri://ed-fi.org/LocalEducationAgencyCategoryDescriptor#Independent</LocalEducationAgencyCategory>
</LocalEducationAgency>
<StudentTransportation>
  <StudentReference><StudentIdentity><StudentUniqueId>604822</StudentUniqueId></StudentIdentity></StudentReference>
  <TransportationEducationOrganizationReference ref=\"LEA\"/>
</StudentTransportation>",
    );
    assert_eq!(file.refused, []);
    assert_eq!(
        file.records[1].body["transportationEducationOrganizationReference"],
        json!({"educationOrganizationId": 255901})
    );
}

#[test]
fn a_ref_that_names_nothing_fitting_is_refused() {
    let file = converted(
        "InterchangeContact",
        "<Contact id=\"C1\"><ContactUniqueId>7001</ContactUniqueId>
  <Name><FirstName>Ann</FirstName><LastSurname>Dyer</LastSurname></Name></Contact>
<Student id=\"S1\"><StudentUniqueId>1</StudentUniqueId>
  <Name><FirstName>A</FirstName><LastSurname>B</LastSurname></Name><BirthData><BirthDate>2010-01-01</BirthDate></BirthData></Student>
<StudentContactAssociation>
  <StudentReference ref=\"C1\"/>
  <ContactReference ref=\"C1\"/>
  <ContactReference ref=\"C1\"/>
</StudentContactAssociation>
<StudentContactAssociation>
  <StudentReference/>
  <ContactReference ref=\"C9\"/>
</StudentContactAssociation>",
    );
    let problems: Vec<(&str, u32, &str)> =
        file.refused.iter().map(|r| (r.element.as_str(), r.line, r.message.as_str())).collect();
    assert_eq!(
        problems,
        [
            (
                "StudentReference",
                8,
                "ref=\"C1\" names <Contact> at line 3, which is not a Student (in <StudentContactAssociation> at line 7)"
            ),
            (
                "ContactReference",
                10,
                "<ContactReference> appears more than once; contactReference is one object (in <StudentContactAssociation> at line 7)"
            ),
            (
                "StudentReference",
                13,
                "holds no identity and no ref, so it names nothing (in <StudentContactAssociation> at line 12)"
            ),
            (
                "ContactReference",
                14,
                "ref=\"C9\" names no record of this file (none has id=\"C9\") (in <StudentContactAssociation> at line 12)"
            ),
        ]
    );
    assert_eq!(file.records.len(), 2, "the contact and the student");
}

#[test]
fn a_ref_must_name_a_record_of_the_references_target() {
    // A session naming itself as its school: refused for its kind, so no ref is followed.
    let file = converted(
        "InterchangeEducationOrgCalendar",
        "<Session id=\"A\"><SessionName>A</SessionName><SchoolYear>2021-2022</SchoolYear><SchoolReference ref=\"A\"/></Session>",
    );
    assert_eq!(file.records.len(), 0);
    assert!(file.refused[0].message.contains("which is not a School"), "{}", file.refused[0].message);
}

#[test]
fn a_top_level_reference_is_the_identity_of_its_target() {
    let file = converted(
        "InterchangeStudentGradebook",
        &format!("<SectionReference>{}</SectionReference>", section_identity("255901001")),
    );
    assert_eq!(file.refused, []);
    let [record] = file.records.as_slice() else { panic!("one record") };
    assert_valid(record);
    assert_eq!(record.resource.name, "sections");
    assert!(record.is_identity_only());
    let reference = section_reference_json();
    assert_eq!(
        record.body,
        json!({
            "sectionIdentifier": reference["sectionIdentifier"],
            "courseOfferingReference": {
                "localCourseCode": "ALG-1",
                "schoolId": 255901001,
                "sessionName": "2021-2022 Fall Semester",
                "schoolYear": 2022
            }
        })
    );
}

#[test]
fn the_mapping_loads_and_binds_to_the_model() {
    let mapping = super::mapping::get();
    assert_eq!(mapping.namespace, NS);
    for (element, resource) in [
        ("Student", "students"),
        ("GradeLevelDescriptor", "gradeLevelDescriptors"),
        ("SectionReference", "sections"),
    ] {
        assert_eq!(mapping.element_named(element).map(|e| e.resource.name), Some(resource));
    }
    assert!(mapping.element_named("SchoolYearType").is_none(), "school years are no record");
}

// ------------------------------------------------------------------------------ Grand Bend ISD

fn sample_xml() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/edfi/sample-xml");
    dir.is_dir().then_some(dir)
}

/// Ed-Fi's sample district: every record of its 49 files converts and validates.
#[test]
fn every_grand_bend_record_converts_to_a_valid_body() {
    let Some(dir) = sample_xml() else {
        eprintln!("SKIPPED: ../shared/edfi/sample-xml/ is absent, so the Grand Bend files are not read (CI has them)");
        return;
    };
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("the sample folder reads")
        .map(|entry| entry.expect("an entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "xml"))
        .collect();
    paths.sort();
    assert_eq!(paths.len(), 49, "Grand Bend files");
    let mut records = 0;
    let mut by_element: BTreeMap<String, usize> = BTreeMap::new();
    let mut refused: Vec<(String, Refused)> = Vec::new();
    let mut invalid: Vec<String> = Vec::new();
    let mut identity_only = 0;
    for path in &paths {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(path).expect("a sample file reads");
        let file = read(&text).unwrap_or_else(|e| panic!("{name}: {e:?}"));
        assert!(file.interchange.starts_with("Interchange"), "{name}");
        refused.extend(file.refused.into_iter().map(|r| (name.clone(), r)));
        for record in &file.records {
            records += 1;
            *by_element.entry(record.element.clone()).or_default() += 1;
            identity_only += usize::from(record.is_identity_only());
            let body = record.body.as_object().expect("an object");
            if let Err(problems) = validate(record.resource, body) {
                invalid.push(format!("{name}:{} <{}>: {problems:?}", record.line, record.element));
            }
            let text = serde_json::to_vec(&record.body).expect("a body serializes");
            assert_eq!(crate::limits::inexact_number(&text), None, "{name}:{}", record.line);
        }
    }
    assert!(refused.is_empty(), "{} refused, first: {:#?}", refused.len(), &refused[..refused.len().min(10)]);
    assert!(invalid.is_empty(), "{} invalid, first: {:#?}", invalid.len(), &invalid[..invalid.len().min(10)]);
    assert_eq!(records, 17_450, "top-level records");
    assert_eq!(by_element.len(), 105, "element types, each converted at least once");
    assert_eq!(identity_only, 1, "the gradebook's <SectionReference>");
    let expected: BTreeSet<&str> =
        ["Student", "StudentContactAssociation", "LearningStandard", "SectionReference"].into();
    assert!(expected.iter().all(|e| by_element.contains_key(*e)));
    assert_eq!(by_element["LearningStandard"], 5_597);
}

/// A few Grand Bend bodies in full, as the API takes them.
#[test]
fn grand_bend_bodies_read_as_ed_fi_writes_them() {
    let Some(dir) = sample_xml() else {
        eprintln!("SKIPPED: ../shared/edfi/sample-xml/ is absent (CI has it)");
        return;
    };
    let first = |file: &str, element: &str| -> Value {
        let text = std::fs::read_to_string(dir.join(file)).expect("a sample file reads");
        let file = read(&text).expect("the file converts");
        file.records.into_iter().find(|r| r.element == element).expect("a record").body
    };
    assert_eq!(
        first("Student.xml", "Student"),
        json!({
            "studentUniqueId": "604821",
            "personalTitlePrefix": "Mr",
            "firstName": "Tyrone",
            "lastSurname": "Dyer",
            "preferredFirstName": "Ty",
            "preferredLastSurname": "Dye",
            "birthDate": "2014-11-13"
        })
    );
    // Contact.xml names each contact by ref, never by identity.
    let association = first("Contact.xml", "StudentContactAssociation");
    assert!(association["contactReference"]["contactUniqueId"].is_string(), "{association}");
    let section = first("StudentGradebook.xml", "SectionReference");
    assert_eq!(section["courseOfferingReference"]["schoolYear"], 2022);
}
