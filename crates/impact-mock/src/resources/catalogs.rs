//! Catalogs and their items, and the Partner API's product search across them.
//!
//! Attributes: Partner `Catalog` (16) and `Item` (70) with `Promotions` (8) from OAS
//! `impact-partner-catalogs-v16.yaml`; Brand `Catalog` (14) with `ShoppingCart` (4) and
//! `CatalogItem` (66) from OAS `impact-brand-catalogs-v14.yaml` (`resources.md` §3.6), plus
//! the older `MultiPack` that tap-impact's `catalog_items` schema reads.
//! Brand items cannot be paged past 20,000 records (OAS; CONV: 400 past it).

use serde_json::json;

use super::common::Thing;
use crate::Resource;
use crate::attrs::{
    Attr, Cx, Entity, also, build, cents, empty, flag, json, lit, object, pick, strings, text,
};
use crate::rng::{Draw, mix};
use crate::table::{Api, Data, Generated, Group, PAGES, Pages, Parent, Row, Rule, contains, eq};
use crate::time::DAY;
use crate::world::names::{self, slug};

/// A catalog: one per campaign in turn.
fn catalog(cx: &Cx<'_>, n: u64) -> Thing {
    Thing::new(cx.world, "Catalog", n)
}

fn catalog_id(n: u64) -> u64 {
    24_000 + n
}

/// Item `k` of catalog `catalog`.
pub(crate) struct Item {
    catalog: Thing,
    k: u64,
    draw: Draw,
}

impl Entity for Item {
    fn draw(&self) -> Draw {
        self.draw
    }
}

impl Item {
    fn sku(&self) -> String {
        format!("SKU-{}-{:05}", catalog_id(self.catalog.n), self.k)
    }

    fn product(&self) -> (&'static str, &'static str) {
        let products = names::PRODUCTS;
        products[(mix(self.catalog.n * 1_000_003 + self.k) % products.len() as u64) as usize]
    }

    fn name(&self, cx: &Cx<'_>) -> String {
        format!(
            "{} {}",
            self.catalog.campaign(cx).advertiser,
            self.product().0
        )
    }

    fn price(&self) -> i64 {
        1_000 + (mix(self.k ^ self.catalog.n << 20) % 20_000) as i64
    }

    fn current_price(&self) -> i64 {
        if self.k.is_multiple_of(5) {
            self.price() * 9 / 10
        } else {
            self.price()
        }
    }

    fn url(&self, cx: &Cx<'_>) -> String {
        format!(
            "{}/products/{}",
            self.catalog.campaign(cx).url(),
            self.sku()
        )
    }
}

/// The attributes both APIs' catalogs share.
static CATALOG: &[Attr<Thing>] = &[
    text("Id", |c, _| catalog_id(c.n).to_string()),
    text("AdvertiserId", |c, cx| {
        c.campaign(cx).advertiser_id.to_string()
    }),
    text("CampaignId", |c, cx| c.campaign(cx).id.to_string()),
    text("NumberOfItems", |_, cx| {
        cx.world.counts.items_per_catalog.to_string()
    }),
    text("DateLastUpdated", |c, cx| c.updated(cx.now, 7).to_string()),
    lit("Currency", "USD"),
    text("ItemsUri", |c, cx| {
        format!("{}/Catalogs/{}/Items", cx.root, catalog_id(c.n))
    }),
    text("Uri", |c, cx| {
        format!("{}/Catalogs/{}", cx.root, catalog_id(c.n))
    }),
];

/// The Partner catalog.
static PARTNER_CATALOG: &[Attr<Thing>] = &[
    also(CATALOG),
    text("Name", |c, cx| {
        format!("{} Official Catalog", c.campaign(cx).advertiser)
    }),
    lit("Language", "English (United States)"),
    text("AdvertiserName", |c, cx| c.campaign(cx).advertiser.clone()),
    lit("AdvertiserLocation", "United States"),
    text("CampaignName", |c, cx| c.campaign(cx).name.clone()),
    json("Locations", |_, _| strings(["US"])),
    empty("ServiceAreas"),
    json("FTPLocations", |_, _| strings([])),
];

static SHOPPING_CART: &[Attr<Thing>] = &[
    lit("ShoppingCartType", "SHOPIFY"),
    text("BaseUrl", |c, cx| c.campaign(cx).url()),
    json("CollectionIds", |_, _| strings([])),
    json("CollectionTitles", |_, _| strings([])),
];

/// The Brand catalog.
static BRAND_CATALOG: &[Attr<Thing>] = &[
    also(CATALOG),
    text("Name", |c, cx| {
        format!("{} Catalog", c.campaign(cx).advertiser)
    }),
    text("Filename", |c, cx| {
        format!("{}.csv", slug(&c.campaign(cx).advertiser))
    }),
    lit("Status", "ACTIVE"),
    json("ServiceAreas", |_, _| strings(["US"])),
    pick(
        "UploadMethod",
        &[
            "DIRECT_UPLOAD",
            "IR_SFTP",
            "PULL_FROM_URL",
            "SHOPPING_CART_PULL",
        ],
    ),
    object("ShoppingCart", SHOPPING_CART),
];

/// The attributes both APIs' catalog items share.
static CATALOG_ITEM: &[Attr<Item>] = &[
    text("CatalogItemId", |i, _| i.sku()),
    text("Name", |i, cx| i.name(cx)),
    text("Description", |i, cx| {
        format!("{} (Product Code {}).", i.name(cx), i.sku())
    }),
    json("Bullets", |i, _| strings([i.product().1, "Free returns"])),
    json("Labels", |_, _| strings([])),
    text("Manufacturer", |i, cx| {
        i.catalog.campaign(cx).advertiser.clone()
    }),
    text("Url", |i, cx| i.url(cx)),
    empty("MobileUrl"),
    text("ImageUrl", |i, cx| format!("{}.jpg", i.url(cx))),
    empty("ProductBid"),
    json("AdditionalImageUrls", |_, _| strings([])),
    text("CurrentPrice", |i, _| cents(i.current_price())),
    text("OriginalPrice", |i, _| cents(i.price())),
    text("DiscountPercentage", |i, _| {
        if i.k % 5 == 0 { "10" } else { "0" }.to_owned()
    }),
    lit("Currency", "USD"),
    pick(
        "StockAvailability",
        &["InStock", "InStock", "InStock", "OutOfStock", "BackOrder"],
    ),
    empty("EstimatedShipDate"),
    text("LaunchDate", |i, _| i.catalog.created.to_string()),
    empty("ExpirationDate"),
    text("Gtin", |i, _| format!("{:013}", 7_774_561_230_000u64 + i.k)),
    lit("GtinType", "EAN"),
    empty("Asin"),
    text("Mpn", |i, _| format!("MPN-{}", i.sku())),
    lit("ShippingRate", "5.99"),
    lit("ShippingWeightUnit", "lb"),
    lit("ShippingLengthUnit", "in"),
    empty("ShippingLabel"),
    text("Category", |i, _| i.product().1.to_owned()),
    text("OriginalFormatCategory", |i, _| i.product().1.to_owned()),
    lit("OriginalFormatCategoryId", "424"),
    empty("ParentName"),
    empty("ParentSku"),
    lit("IsParent", "false"),
    empty("ItemGroupId"),
    json("Colors", |_, _| strings(["Black"])),
    empty("Material"),
    empty("Pattern"),
    empty("Size"),
    empty("SizeUnit"),
    lit("WeightUnit", "lb"),
    lit("Condition", "New"),
    lit("Gender", "Unisex"),
    empty("Text1"),
    empty("Text2"),
    empty("Text3"),
    empty("Numeric1"),
    empty("Numeric2"),
    empty("Numeric3"),
    empty("Money1"),
    empty("Money2"),
    empty("Money3"),
];

/// The Partner catalog item.
static PARTNER_ITEM: &[Attr<Item>] = &[
    also(CATALOG_ITEM),
    text("Id", |i, _| {
        format!("product_{}_{}", catalog_id(i.catalog.n), i.sku())
    }),
    text("CatalogId", |i, _| catalog_id(i.catalog.n).to_string()),
    text("CampaignId", |i, cx| i.catalog.campaign(cx).id.to_string()),
    text("CampaignName", |i, cx| i.catalog.campaign(cx).name.clone()),
    empty("MultiPack"),
    json("Promotions", |_, _| json!([])),
    lit("ShippingWeight", "2.0"),
    lit("ShippingLength", "12"),
    lit("ShippingWidth", "10"),
    lit("ShippingHeight", "3"),
    empty("SubCategory"),
    json("AdvertiserFormatCategories", |i, _| {
        strings([i.product().1])
    }),
    lit("Weight", "1.8"),
    lit("AgeGroup", "adult"),
    lit("AgeRangeMin", "0"),
    lit("AgeRangeMax", "0"),
    lit("AgeRangeUnit", "years"),
    empty("Adult"),
    text("Uri", |i, cx| {
        format!(
            "{}/Catalogs/{}/Items/product_{}_{}",
            cx.root,
            catalog_id(i.catalog.n),
            catalog_id(i.catalog.n),
            i.sku()
        )
    }),
];

/// The Brand catalog item.
static BRAND_ITEM: &[Attr<Item>] = &[
    also(CATALOG_ITEM),
    lit("Multipack", "1"),
    json("PromotionIds", |_, _| strings([])),
    text("ManufacturingCost", |i, _| cents(i.price() / 3)),
    lit("ShippingWeight", "2.00"),
    lit("ShippingLength", "12.00"),
    lit("ShippingWidth", "10.00"),
    lit("ShippingHeight", "3.00"),
    lit("Weight", "1.80"),
    lit("AgeGroup", "Adult"),
    empty("AgeRangeMin"),
    empty("AgeRangeMax"),
    lit("AgeRangeUnit", "Years"),
    flag("Adult", 0),
    text("Inventory", |i, _| (mix(i.k) % 500).to_string()),
    text("Uri", |i, cx| {
        format!(
            "{}/Catalogs/{}/Items/{}",
            cx.root,
            catalog_id(i.catalog.n),
            i.sku()
        )
    }),
    // The older name of Multipack, which tap-impact's schema reads.
    lit("MultiPack", "1"),
];

fn catalogs(cx: &Cx<'_>) -> Generated {
    let attrs = match cx.api {
        Api::Partner => PARTNER_CATALOG,
        Api::Brand => BRAND_CATALOG,
    };
    let mut generated = Generated::default();
    for n in 0..cx.world.counts.catalogs {
        generated.items.push(build(attrs, &catalog(cx, n), cx));
    }
    // `DateLastUpdated` moves weekly.
    generated.changes_at(Some(cx.now.plus(DAY)), cx.now);
    generated
}

fn items(cx: &Cx<'_>) -> Generated {
    let attrs = match cx.api {
        Api::Partner => PARTNER_ITEM,
        Api::Brand => BRAND_ITEM,
    };
    let per = cx.world.counts.items_per_catalog;
    let mut generated = Generated::default();
    for n in 0..cx.world.counts.catalogs {
        let catalog = catalog(cx, n);
        for k in 0..per {
            let item = Item {
                draw: catalog.draw.fork(k),
                catalog: catalog.clone(),
                k,
            };
            let parent = catalog_id(n).to_string();
            generated.push(build(attrs, &item, cx), vec![("CatalogId", parent)]);
        }
    }
    generated
}

const SOURCE: &str = "Partner Catalog (16) from OAS impact-partner-catalogs-v16.yaml; Brand Catalog \
    (14) from OAS impact-brand-catalogs-v14.yaml (resources.md 3.6)";

pub(crate) const PARTNER: Row = Row {
    resource: Resource::Catalogs,
    api: Api::Partner,
    path: "Catalogs",
    list: true,
    item: true,
    list_key: "Catalogs",
    item_element: "Catalog",
    id_attr: "Id",
    parent: None,
    source: SOURCE,
    filters: &[eq(&["CampaignId"], "CampaignId")],
    rules: &[],
    pages: PAGES,
    group: Group::Other,
    data: Data::Population(catalogs),
};

pub(crate) const BRAND: Row = Row {
    api: Api::Brand,
    filters: &[eq(&["CampaignId"], "CampaignId"), eq(&["Status"], "Status")],
    group: Group::Catalogs,
    ..PARTNER
};

const ITEMS_SOURCE: &str = "Partner Item (70) from OAS impact-partner-catalogs-v16.yaml; Brand \
    CatalogItem (66) from OAS impact-brand-catalogs-v14.yaml plus the older MultiPack read by \
    tap-impact; Brand paging limit of 20,000 records (resources.md 3.6)";

pub(crate) const PARTNER_ITEMS: Row = Row {
    resource: Resource::CatalogItems,
    api: Api::Partner,
    path: "Catalogs/{CatalogId}/Items",
    list: true,
    item: true,
    list_key: "Items",
    item_element: "Item",
    id_attr: "Id",
    parent: Some(Parent {
        capture: "CatalogId",
        attr: "CatalogId",
        resource: Resource::Catalogs,
    }),
    source: ITEMS_SOURCE,
    filters: &[contains(&["Query", "Keyword"], "Name")],
    rules: &[],
    pages: PAGES,
    group: Group::ProductSearch,
    data: Data::Population(items),
};

/// `/Catalogs/ItemSearch`: every catalog's items, by keyword, 100 a page by default.
pub(crate) const PARTNER_SEARCH: Row = Row {
    path: "Catalogs/ItemSearch",
    item: false,
    parent: None,
    filters: &[contains(&["Keyword", "Query"], "Name")],
    pages: Pages {
        default: 100,
        max: 20_000,
    },
    ..PARTNER_ITEMS
};

pub(crate) const BRAND_ITEMS: Row = Row {
    api: Api::Brand,
    id_attr: "CatalogItemId",
    filters: &[contains(&["Keyword", "Query"], "Name")],
    rules: &[Rule::MaxReachable(20_000)],
    group: Group::Catalogs,
    ..PARTNER_ITEMS
};
