//! The resources this API serves, as definitions (facts from the Ed-Fi Data Standard 5.2 XSD).

use crate::model::{Field, Kind, ResourceDef};

const fn text(max: usize) -> Kind {
    Kind::Text { min: 1, max }
}

const IDENTIFICATION_DOCUMENT: &[Field] = &[
    Field::required("identificationDocumentUseDescriptor", Kind::Descriptor),
    Field::required("personalInformationVerificationDescriptor", Kind::Descriptor),
    Field::optional("issuerCountryDescriptor", Kind::Descriptor),
    Field::optional("documentExpirationDate", Kind::Date),
    Field::optional("documentTitle", text(60)),
    Field::optional("issuerDocumentIdentificationCode", text(60)),
    Field::optional("issuerName", text(150)),
];

const OTHER_NAME: &[Field] = &[
    Field::required("otherNameTypeDescriptor", Kind::Descriptor),
    Field::required("firstName", text(75)),
    Field::required("lastSurname", text(75)),
    Field::optional("middleName", text(75)),
    Field::optional("generationCodeSuffix", text(10)),
    Field::optional("personalTitlePrefix", text(30)),
];

const VISA: &[Field] = &[Field::required("visaDescriptor", Kind::Descriptor)];

const PERSON_REFERENCE: &[Field] =
    &[Field::required("personId", text(32)), Field::required("sourceSystemDescriptor", Kind::Descriptor)];

pub const STUDENTS: ResourceDef = ResourceDef {
    name: "students",
    fields: &[
        Field::required("studentUniqueId", text(32)),
        Field::required("firstName", text(75)),
        Field::required("lastSurname", text(75)),
        Field::required("birthDate", Kind::Date),
        Field::optional("middleName", text(75)),
        Field::optional("generationCodeSuffix", text(10)),
        Field::optional("personalTitlePrefix", text(30)),
        Field::optional("maidenName", text(75)),
        Field::optional("preferredFirstName", text(75)),
        Field::optional("preferredLastSurname", text(75)),
        Field::optional("birthCity", Kind::Text { min: 2, max: 30 }),
        Field::optional("birthStateAbbreviationDescriptor", Kind::Descriptor),
        Field::optional("birthInternationalProvince", text(150)),
        Field::optional("birthCountryDescriptor", Kind::Descriptor),
        Field::optional("dateEnteredUS", Kind::Date),
        Field::optional("multipleBirthStatus", Kind::Boolean),
        Field::optional("birthSexDescriptor", Kind::Descriptor),
        Field::optional("citizenshipStatusDescriptor", Kind::Descriptor),
        Field::optional("personReference", Kind::Object(PERSON_REFERENCE)),
        Field::optional(
            "identificationDocuments",
            Kind::Collection { item: IDENTIFICATION_DOCUMENT, min_items: 0 },
        ),
        Field::optional("otherNames", Kind::Collection { item: OTHER_NAME, min_items: 0 }),
        Field::optional(
            "personalIdentificationDocuments",
            Kind::Collection { item: IDENTIFICATION_DOCUMENT, min_items: 0 },
        ),
        Field::optional("visas", Kind::Collection { item: VISA, min_items: 0 }),
    ],
    natural_key: &["studentUniqueId"],
    key_change_allowed: false,
};

/// Every resource served, in load order (a resource comes after those it references).
pub const ALL: &[&ResourceDef] = &[&STUDENTS];

/// The definition for a collection name, compared exactly (URLs are case-sensitive).
pub fn find(name: &str) -> Option<&'static ResourceDef> {
    ALL.iter().copied().find(|def| def.name == name)
}
