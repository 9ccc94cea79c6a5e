//! CompanyInformation: the account's own company, one object without an envelope.
//!
//! Attributes: Partner `CompanyInformation` (34) with `Address` (6) and `Contact` (7) from
//! OAS `impact-partner-account-v16.yaml`; Brand `CompanyInformation` (21) with `Industry`
//! (2) from OAS `impact-brand-account-v14.yaml` (`resources.md` §3.1). tap-impact calls it
//! first and reads the Brand object.

use serde_json::{Value, json};

use crate::Resource;
use crate::attrs::{Attr, Cx, Entity, also, build, empty, json, lit, pick, text};
use crate::rng::{Draw, tag};
use crate::table::{Api, Data, Group, PAGES, Row};
use crate::world::names::{self, slug};

/// The account's company.
struct Company {
    name: String,
    draw: Draw,
}

impl Entity for Company {
    fn draw(&self) -> Draw {
        self.draw
    }
}

fn address(company: &Company, kind: &str) -> Value {
    let mut draw = company.draw.fork(tag(kind));
    json!({
        "AddressLine1": format!("{} Harmony Lane", 100 + draw.below(900)),
        "AddressLine2": "",
        "City": "Los Angeles",
        "State": "CALIFORNIA",
        "PostalCode": "90027",
        "Country": "US",
    })
}

fn contact(company: &Company, role: &str) -> Value {
    let mut draw = company.draw.fork(tag(role));
    let first = draw.pick(names::FIRST_NAMES);
    let last = draw.pick(names::LAST_NAMES);
    json!({
        "UserId": (2_320_000 + draw.below(10_000)).to_string(),
        "Name": format!("{first} {last}"),
        "Email": format!("{}@{}.example", role.to_ascii_lowercase(), slug(&company.name)),
        "WorkPhoneNumber": "2065550100",
        "WorkPhoneNumberCountry": "US",
        "CellPhoneNumber": "",
        "CellPhoneNumberCountry": "",
    })
}

const ORGANIZATIONS: &[&str] = &["CORP", "LLC", "COMPANY", "SOLE_IND"];

/// The attributes both APIs' company objects share.
static COMPANY: &[Attr<Company>] = &[
    text("CompanyName", |c, _| c.name.clone()),
    text("Website", |c, _| {
        format!("https://www.{}.example", slug(&c.name))
    }),
    lit("PrimaryPhoneNumberCountry", "US"),
    empty("SecondaryPhoneNumber"),
    empty("SecondaryPhoneNumberCountry"),
    lit("MinimumContactRating", "1"),
    lit(
        "Timezone",
        "(GMT -08:00) Pacific Time (US & Canada); Tijuana",
    ),
    lit("Currency", "USD"),
    lit("RegisteredForIndirectTax", "false"),
    empty("IndirectTaxNumber"),
    pick("OrganizationType", ORGANIZATIONS),
    json("CorporateAddress", |c, _| address(c, "Corporate")),
    json("BillingAddress", |c, _| address(c, "Billing")),
    json("FinancialContact", |c, _| contact(c, "Finance")),
    json("TechnicalContact", |c, _| contact(c, "Tech")),
    json("SecurityContact", |c, _| contact(c, "Security")),
    json("CommercialContact", |c, _| contact(c, "Sales")),
    text("Uri", |_, cx| format!("{}/CompanyInformation", cx.root)),
];

/// The Partner company.
static PARTNER_COMPANY: &[Attr<Company>] = &[
    also(COMPANY),
    pick(
        "PrimaryPromotionalMethod",
        &["CONTENT", "COUPON", "SOCIAL_MEDIA_INFLUENCER", "CASHBACK"],
    ),
    lit("PromotionalMethods", "CONTENT,SOCIAL_MEDIA_INFLUENCER"),
    text("Description", |c, _| {
        format!("{} reviews and recommends products.", c.name)
    }),
    lit("LogoImage", "/display-content/profile-image.jpg"),
    lit("ContentAndInterests", "deals,reviews,lifestyle"),
    lit("PrimaryPhoneNumber", "8051231234"),
    empty("EinSsnForeignTaxId"),
    empty("DateOfBirth"),
    lit("Gender", "None"),
    lit("Ethnicity", "None"),
    lit("ParentalStatus", "None"),
    lit("RelationshipStatus", "None"),
    lit("Education", "None"),
    lit("Pronouns", "None"),
    lit("HouseholdIncome", "None"),
    json("ShippingAddress", |c, _| address(c, "Shipping")),
];

/// The Brand company.
static BRAND_COMPANY: &[Attr<Company>] = &[
    also(COMPANY),
    json("Industry", |_, _| {
        json!({"IndustryId": "833",
               "IndustryName": "Miscellaneous Retail Stores, Not Elsewhere Classified"})
    }),
    lit("PrimaryPhoneNumber", "1235550100"),
    lit("EinSsnForeignTaxId", "12-3456789"),
];

fn company(cx: &Cx<'_>, _captures: &[(&'static str, String)]) -> Option<Value> {
    let draw = Draw::new(cx.world.seed, tag("Company"));
    let (attrs, name) = match cx.api {
        Api::Partner => (
            PARTNER_COMPANY,
            format!("{} Media", draw.fork(1).pick(names::FIRST_NAMES)),
        ),
        Api::Brand => (BRAND_COMPANY, names::brand_name(cx.world.seed % 7)),
    };
    Some(build(attrs, &Company { name, draw }, cx))
}

pub(crate) const PARTNER: Row = Row {
    resource: Resource::CompanyInformation,
    api: Api::Partner,
    path: "CompanyInformation",
    list: true,
    item: false,
    list_key: "CompanyInformation",
    item_element: "CompanyInformation",
    id_attr: "CompanyName",
    parent: None,
    source: "Partner CompanyInformation (34) from OAS impact-partner-account-v16.yaml; Brand \
             CompanyInformation (21) from OAS impact-brand-account-v14.yaml (resources.md 3.1)",
    filters: &[],
    rules: &[],
    pages: PAGES,
    group: Group::Other,
    data: Data::Single(company),
};

pub(crate) const BRAND: Row = Row {
    api: Api::Brand,
    ..PARTNER
};
