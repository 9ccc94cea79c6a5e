//! The deterministic resources the mock serves: campaigns, ads and actions.

use serde_json::{Map, Value};

/// A list resource under an account root.
///
/// ```
/// use impact_mock::Resource;
///
/// assert_eq!(Resource::Campaigns.list_key(), "Campaigns");
/// assert_eq!(Resource::Ads.item_element(), "Ad");
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Resource {
    /// `/Campaigns`: the campaigns an account works with.
    Campaigns,
    /// `/Ads`: creatives, deletable.
    Ads,
    /// `/Actions`: tracked conversions; new ones can be posted.
    Actions,
}

impl Resource {
    /// Every resource, in a fixed order.
    pub const ALL: [Resource; 3] = [Resource::Campaigns, Resource::Ads, Resource::Actions];

    /// The path segment and the JSON list key: `Campaigns`.
    pub const fn list_key(self) -> &'static str {
        match self {
            Resource::Campaigns => "Campaigns",
            Resource::Ads => "Ads",
            Resource::Actions => "Actions",
        }
    }

    /// The XML element of one item: `Campaign`.
    pub const fn item_element(self) -> &'static str {
        match self {
            Resource::Campaigns => "Campaign",
            Resource::Ads => "Ad",
            Resource::Actions => "Action",
        }
    }

    /// The resource named by a path segment, exactly as the API spells it.
    pub(crate) fn from_segment(segment: &str) -> Option<Resource> {
        Resource::ALL
            .into_iter()
            .find(|resource| resource.list_key() == segment)
    }

    const fn index(self) -> usize {
        match self {
            Resource::Campaigns => 0,
            Resource::Ads => 1,
            Resource::Actions => 2,
        }
    }

    /// The id of item number `n` (0-based); ids are strings, as the API sends them.
    pub fn item_id(self, n: usize) -> String {
        match self {
            Resource::Campaigns => (1000 + n).to_string(),
            Resource::Ads => (500_000 + n).to_string(),
            Resource::Actions => format!("1000.4000.{}", 100_000 + n),
        }
    }
}

/// Every item of every resource, generated once when the server starts.
#[derive(Debug)]
pub(crate) struct Data {
    lists: [Vec<Value>; 3],
}

impl Data {
    pub(crate) fn generate(counts: [usize; 3]) -> Data {
        Data {
            lists: Resource::ALL.map(|resource| {
                (0..counts[resource.index()])
                    .map(|n| item(resource, n))
                    .collect()
            }),
        }
    }

    pub(crate) fn list(&self, resource: Resource) -> &[Value] {
        &self.lists[resource.index()]
    }

    pub(crate) fn find(&self, resource: Resource, id: &str) -> Option<&Value> {
        self.list(resource)
            .iter()
            .find(|item| item.get("Id").and_then(Value::as_str) == Some(id))
    }
}

/// One generated item. Every value is a string, like the API's own JSON.
fn item(resource: Resource, n: usize) -> Value {
    let mut fields = Map::new();
    let mut put = |key: &str, value: String| {
        fields.insert(key.to_owned(), Value::String(value));
    };
    put("Id", resource.item_id(n));
    match resource {
        Resource::Campaigns => {
            put("AdvertiserId", "3000".to_owned());
            put("AdvertiserName", "Mock Advertiser".to_owned());
            put("CampaignName", format!("Campaign {}", n + 1));
            put(
                "CampaignUrl",
                format!("https://example.com/campaigns/{}", 1000 + n),
            );
            put(
                "ContractStatus",
                if n % 5 == 4 { "Expired" } else { "Active" }.to_owned(),
            );
        }
        Resource::Ads => {
            put("Name", format!("Ad {}", n + 1));
            put(
                "Type",
                if n.is_multiple_of(2) {
                    "BANNER"
                } else {
                    "TEXT_LINK"
                }
                .to_owned(),
            );
            put("CampaignId", (1000 + n % 7).to_string());
            put("LandingPageUrl", format!("https://example.com/landing/{n}"));
        }
        Resource::Actions => {
            put("CampaignId", (1000 + n % 7).to_string());
            put("ActionTrackerId", "12345".to_owned());
            put(
                "EventDate",
                format!("2024-01-{:02}T10:00:00-08:00", n % 28 + 1),
            );
            put(
                "State",
                if n.is_multiple_of(3) {
                    "PENDING"
                } else {
                    "APPROVED"
                }
                .to_owned(),
            );
            put("Amount", format!("{}.{:02}", 10 + n % 90, n % 100));
            put("Currency", "USD".to_owned());
        }
    }
    Value::Object(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_are_deterministic_and_found_by_id() {
        let data = Data::generate([3, 2, 1]);
        assert_eq!(data.list(Resource::Campaigns).len(), 3);
        assert_eq!(data.list(Resource::Ads).len(), 2);
        let action = data.find(Resource::Actions, "1000.4000.100000").unwrap();
        assert_eq!(action["State"], "PENDING");
        assert!(data.find(Resource::Campaigns, "1003").is_none());
        assert_eq!(
            Data::generate([3, 2, 1]).list(Resource::Ads),
            data.list(Resource::Ads)
        );
    }
}
