//! The vocabulary of the peers' `gen_facts.py`: asset classes, attributes, the first bucket
//! and the update events of each class with their weights, and the word lists values are
//! drawn from.

pub(crate) const CLASSES: [&str; 5] = ["equity", "fixed_income", "etf", "fx", "commodity"];
/// The share of each class among the securities, in percent (gen_facts.py's `CLASS_P`).
pub(crate) const CLASS_PERCENT: [u64; 5] = [46, 24, 12, 6, 12];
/// Relative update intensity per class.
pub(crate) const CLASS_ACTIVITY: [f64; 5] = [1.0, 0.7, 1.0, 0.25, 0.8];

/// Every attribute the generator asserts; an [`Attr`] indexes this. At most 32, so that a
/// set of them fits a `u32`.
pub(crate) const ATTRIBUTES: [&str; 26] = [
    "asset_class",
    "ticker",
    "name",
    "isin",
    "exchange",
    "gics_sector",
    "gics_industry",
    "market_cap",
    "listing_date",
    "currency",
    "issuer",
    "coupon",
    "maturity_date",
    "rating",
    "amount_outstanding",
    "expense_ratio",
    "aum",
    "benchmark",
    "inception_date",
    "base_currency",
    "quote_currency",
    "tick_size",
    "settlement_days",
    "contract_size",
    "unit",
    "margin_requirement",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Attr {
    AssetClass,
    Ticker,
    Name,
    Isin,
    Exchange,
    GicsSector,
    GicsIndustry,
    MarketCap,
    ListingDate,
    Currency,
    Issuer,
    Coupon,
    MaturityDate,
    Rating,
    AmountOutstanding,
    ExpenseRatio,
    Aum,
    Benchmark,
    InceptionDate,
    BaseCurrency,
    QuoteCurrency,
    TickSize,
    SettlementDays,
    ContractSize,
    Unit,
    MarginRequirement,
}

/// What one update event asserts: one attribute, or two in one bucket.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Event {
    One(Attr),
    /// A new name and ticker on the same date.
    Rename,
    /// A new GICS sector and industry on the same date.
    Reclass,
}

impl Event {
    pub(crate) fn mask(self) -> u32 {
        match self {
            Event::One(a) => 1 << a as u32,
            Event::Rename => (1 << Attr::Name as u32) | (1 << Attr::Ticker as u32),
            Event::Reclass => (1 << Attr::GicsSector as u32) | (1 << Attr::GicsIndustry as u32),
        }
    }

    pub(crate) fn len(self) -> u64 {
        match self {
            Event::One(_) => 1,
            Event::Rename | Event::Reclass => 2,
        }
    }
}

use Attr::*;

/// The attributes of each class's first bucket, after `asset_class`.
pub(crate) const STATIC: [&[Attr]; 5] = [
    &[
        Ticker,
        Name,
        Isin,
        Exchange,
        GicsSector,
        GicsIndustry,
        MarketCap,
        ListingDate,
        Currency,
    ],
    &[
        Ticker,
        Name,
        Isin,
        Issuer,
        Coupon,
        MaturityDate,
        Rating,
        AmountOutstanding,
        Currency,
    ],
    &[
        Ticker,
        Name,
        Isin,
        Exchange,
        ExpenseRatio,
        Aum,
        Benchmark,
        InceptionDate,
        Currency,
    ],
    &[
        Ticker,
        Name,
        BaseCurrency,
        QuoteCurrency,
        TickSize,
        SettlementDays,
    ],
    &[
        Ticker,
        Name,
        Exchange,
        ContractSize,
        Unit,
        TickSize,
        MarginRequirement,
        Currency,
    ],
];

/// The update events of each class with their weights, in percent (gen_facts.py's).
pub(crate) const UPDATES: [&[(Event, u64)]; 5] = [
    &[
        (Event::One(MarketCap), 82),
        (Event::Rename, 3),
        (Event::One(Name), 2),
        (Event::One(Ticker), 3),
        (Event::Reclass, 3),
        (Event::One(Exchange), 2),
        (Event::One(AssetClass), 1),
        (Event::One(Currency), 1),
        (Event::One(Isin), 1),
        (Event::One(GicsIndustry), 2),
    ],
    &[
        (Event::One(Rating), 45),
        (Event::One(AmountOutstanding), 40),
        (Event::One(Name), 3),
        (Event::One(Ticker), 2),
        (Event::One(Issuer), 3),
        (Event::One(Coupon), 3),
        (Event::One(MaturityDate), 2),
        (Event::One(AssetClass), 2),
    ],
    &[
        (Event::One(Aum), 80),
        (Event::One(ExpenseRatio), 7),
        (Event::Rename, 4),
        (Event::One(Ticker), 2),
        (Event::One(Benchmark), 4),
        (Event::One(Exchange), 2),
        (Event::One(AssetClass), 1),
    ],
    &[
        (Event::One(TickSize), 45),
        (Event::One(SettlementDays), 35),
        (Event::One(Name), 18),
        (Event::One(AssetClass), 2),
    ],
    &[
        (Event::One(MarginRequirement), 75),
        (Event::One(TickSize), 8),
        (Event::One(ContractSize), 4),
        (Event::One(Name), 6),
        (Event::One(Exchange), 5),
        (Event::One(AssetClass), 2),
    ],
];

pub(crate) const WORDS_A: [&str; 54] = [
    "Acme",
    "Blue",
    "Cedar",
    "Delta",
    "Echo",
    "Falcon",
    "Granite",
    "Harbor",
    "Iron",
    "Juniper",
    "Keystone",
    "Lumen",
    "Maple",
    "North",
    "Orbit",
    "Pioneer",
    "Quartz",
    "River",
    "Summit",
    "Titan",
    "Union",
    "Vertex",
    "Willow",
    "Xenon",
    "Yellowstone",
    "Zephyr",
    "Aurora",
    "Beacon",
    "Cobalt",
    "Dynamo",
    "Ember",
    "Frontier",
    "Glacier",
    "Helix",
    "Indigo",
    "Jasper",
    "Kinetic",
    "Lattice",
    "Meridian",
    "Nova",
    "Onyx",
    "Prairie",
    "Redwood",
    "Sterling",
    "Tidal",
    "Upland",
    "Vanguard",
    "Westbrook",
    "Müller",
    "Société",
    "Øresund",
    "O'Neill",
    "São Paulo",
    "Zürich",
];
pub(crate) const WORDS_B: [&str; 26] = [
    "Therapeutics",
    "Energy",
    "Holdings",
    "Systems",
    "Bancorp",
    "Networks",
    "Foods",
    "Logistics",
    "Semiconductor",
    "Pharma",
    "Materials",
    "Capital",
    "Robotics",
    "Media",
    "Mining",
    "Airlines",
    "Software",
    "Insurance",
    "Utilities",
    "Realty",
    "Biosciences",
    "Motors",
    "Telecom",
    "Retail",
    "Chemicals",
    "Shipping",
];
pub(crate) const LEGAL: [&str; 12] = [
    " Inc",
    ", Inc.",
    " Corp",
    " Corporation",
    " PLC",
    " AG",
    " SA",
    " Ltd",
    ", LLC",
    " Group",
    " N.V.",
    " & Co",
];
pub(crate) const EXCHANGES: [&str; 12] = [
    "XNYS", "XNAS", "XLON", "XPAR", "XETR", "XTKS", "XHKG", "XASX", "XTSE", "XSWX", "ARCX", "BATS",
];
pub(crate) const COMMODITY_EXCHANGES: [&str; 6] = ["XCME", "XNYM", "XCBT", "IFEU", "XLME", "XCEC"];
pub(crate) const CURRENCIES: [&str; 16] = [
    "USD", "EUR", "GBP", "JPY", "CHF", "CAD", "AUD", "HKD", "SEK", "NOK", "SGD", "NZD", "MXN",
    "BRL", "ZAR", "CNH",
];
pub(crate) const RATINGS: [&str; 22] = [
    "AAA", "AA+", "AA", "AA-", "A+", "A", "A-", "BBB+", "BBB", "BBB-", "BB+", "BB", "BB-", "B+",
    "B", "B-", "CCC+", "CCC", "CC", "C", "D", "NR",
];
pub(crate) const GICS: [(&str, &str); 23] = [
    ("Energy", "Oil, Gas & Consumable Fuels"),
    ("Energy", "Energy Equipment & Services"),
    ("Materials", "Chemicals"),
    ("Materials", "Metals & Mining"),
    ("Industrials", "Aerospace & Defense"),
    ("Industrials", "Machinery"),
    ("Industrials", "Airlines"),
    ("Consumer Discretionary", "Automobiles"),
    ("Consumer Discretionary", "Hotels, Restaurants & Leisure"),
    ("Consumer Staples", "Beverages"),
    ("Consumer Staples", "Food Products"),
    ("Health Care", "Pharmaceuticals"),
    ("Health Care", "Biotechnology"),
    ("Health Care", "Health Care Equipment & Supplies"),
    ("Financials", "Banks"),
    ("Financials", "Insurance"),
    ("Financials", "Capital Markets"),
    ("Information Technology", "Software"),
    (
        "Information Technology",
        "Semiconductors & Semiconductor Equipment",
    ),
    ("Communication Services", "Media"),
    (
        "Communication Services",
        "Diversified Telecommunication Services",
    ),
    ("Utilities", "Electric Utilities"),
    (
        "Real Estate",
        "Equity Real Estate Investment Trusts (REITs)",
    ),
];
pub(crate) const BENCHMARKS: [&str; 12] = [
    "S&P 500",
    "NASDAQ-100",
    "MSCI World",
    "MSCI EM",
    "Russell 2000",
    "Bloomberg US Aggregate",
    "FTSE 100",
    "Euro Stoxx 50",
    "Nikkei 225",
    "ICE US Treasury 20+ Year",
    "Gold Spot",
    "S&P 500 \"Equal Weight\"",
];
pub(crate) const UNITS: [&str; 7] = [
    "bbl",
    "troy oz",
    "bushel",
    "MMBtu",
    "metric ton",
    "lb",
    "short ton",
];
pub(crate) const FX_SUFFIX: [&str; 4] = [" Spot", " Spot Rate", " WM/R 4pm Fix", " ECB Fix"];
pub(crate) const TICK_SIZES: [f64; 8] = [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.25];
pub(crate) const COMMODITY_NAMES: [&str; 16] = [
    "WTI Crude Oil",
    "Brent Crude",
    "Natural Gas",
    "Gold",
    "Silver",
    "Copper",
    "Corn",
    "Soybeans",
    "Wheat",
    "Coffee",
    "Cocoa",
    "Sugar No. 11",
    "Live Cattle",
    "Lean Hogs",
    "Aluminium",
    "Platinum",
];
pub(crate) const COUNTRIES: [&str; 8] = ["US", "GB", "DE", "FR", "JP", "CH", "CA", "AU"];
pub(crate) const CONTRACT_SIZES: [i64; 9] = [1, 5, 10, 25, 50, 100, 1000, 5000, 42000];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_are_percentages() {
        assert_eq!(CLASS_PERCENT.iter().sum::<u64>(), 100);
        for events in UPDATES {
            assert_eq!(events.iter().map(|e| e.1).sum::<u64>(), 100);
        }
    }

    #[test]
    fn attributes_fit_a_u32_set() {
        assert!(ATTRIBUTES.len() <= 32);
        assert_eq!(ATTRIBUTES[MarginRequirement as usize], "margin_requirement");
    }
}
