//! Word lists that make generated values read like an affiliate program's data.

pub(crate) const BRANDS: &[&str] = &[
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Hooli",
    "Stark",
    "Wayne",
    "Wonka",
    "Cyberdyne",
    "Soylent",
    "Tyrell",
    "Vandelay",
    "Gringotts",
    "Pied Piper",
    "Capsule",
    "Monarch",
    "Oceanic",
    "Aperture",
    "Massive Dynamic",
    "Nakatomi",
    "Sirius",
    "Dunder",
    "Prestige",
    "Blue Sun",
    "Virtucon",
    "Gekko",
    "Bluth",
    "Pendant",
    "Krusty",
    "Duff",
];

pub(crate) const LINES: &[&str] = &[
    "Outfitters",
    "Home",
    "Sports",
    "Beauty",
    "Travel",
    "Electronics",
    "Pets",
    "Kitchen",
    "Garden",
    "Books",
    "Fitness",
    "Apparel",
    "Toys",
    "Audio",
    "Coffee",
    "Shoes",
];

pub(crate) const PARTNER_KINDS: &[&str] = &[
    "Deals", "Coupons", "Reviews", "Blog", "Cashback", "Rewards", "Picks", "Insider", "Daily",
    "Weekly", "Hub", "Guide",
];

pub(crate) const FIRST_NAMES: &[&str] = &[
    "Hazel", "Carrie", "Rose", "Ty", "Sal", "Anna", "Barry", "Claire", "Dwayne", "Edith", "Frank",
    "Gloria", "Hank", "Iris", "Jules", "Kara", "Leo", "Mona", "Ned", "Olive",
];

pub(crate) const LAST_NAMES: &[&str] = &[
    "Nutt", "Oakey", "Bush", "Tanic", "Monella", "Conda", "Cuda", "Voyant", "Pipe", "Rial",
    "Furter", "Ryfied", "Ering", "Dessent", "Tice", "Oke", "Pard", "Lisa", "Ville", "Ives",
];

pub(crate) const CITIES: &[(&str, &str, &str, &str)] = &[
    ("Santa Barbara", "California", "US", "855"),
    ("Seattle", "Washington", "US", "819"),
    ("Austin", "Texas", "US", "635"),
    ("Denver", "Colorado", "US", "751"),
    ("Chicago", "Illinois", "US", "602"),
    ("Brooklyn", "New York", "US", "501"),
    ("Portland", "Oregon", "US", "820"),
    ("Toronto", "Ontario", "CA", ""),
    ("Vancouver", "British Columbia", "CA", ""),
    ("London", "England", "GB", ""),
    ("Manchester", "England", "GB", ""),
    ("Sydney", "New South Wales", "AU", ""),
    ("Berlin", "Berlin", "DE", ""),
];

pub(crate) const PRODUCTS: &[(&str, &str)] = &[
    ("Tennis Balls (One Dozen)", "Sports"),
    ("Storage Box", "Home"),
    ("Espresso Beans 1kg", "Grocery"),
    ("Trail Running Shoes", "Apparel"),
    ("Noise-Cancelling Headphones", "Electronics"),
    ("Yoga Mat", "Fitness"),
    ("Cast Iron Skillet", "Kitchen"),
    ("Travel Backpack", "Travel"),
    ("Face Serum", "Beauty"),
    ("Dog Harness", "Pets"),
    ("Board Game", "Toys"),
    ("Paperback Novel", "Books"),
];

pub(crate) const DOMAINS: &[&str] = &[
    "dealhunter.example",
    "couponcabin.example",
    "reviewed.example",
    "cashbackhero.example",
    "dailypicks.example",
    "theguide.example",
    "",
];

pub(crate) const CURRENCIES: &[&str] = &["USD", "USD", "USD", "USD", "CAD", "GBP", "EUR", "AUD"];

/// A name of `count` words picked by `pick`, e.g. `"Acme Outfitters"`.
pub(crate) fn brand_name(n: u64) -> String {
    let brand = BRANDS[(n % BRANDS.len() as u64) as usize];
    let line = LINES[((n / BRANDS.len() as u64 + n * 7) % LINES.len() as u64) as usize];
    if n < BRANDS.len() as u64 {
        format!("{brand} {line}")
    } else {
        format!("{brand} {line} {}", n / BRANDS.len() as u64 + 1)
    }
}

/// A slug of a name for hosts and codes: `"acmeoutfitters"`.
pub(crate) fn slug(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}
