//! The command line's grammar: clap derive types only. Validation and defaults that depend on
//! more than one flag live in `plan`.

use std::path::PathBuf;
use std::sync::LazyLock;

use chrono::NaiveDate;
use clap::builder::PossibleValue;
use clap::{Args, Parser, Subcommand, ValueEnum};
use secmaster_io::Format;

const ABOUT: &str = "A point-in-time security master: facts about securities in, an exact \
SCD-2 table out";

const LONG_ABOUT: &str = "\
A point-in-time security master: facts about securities in, an exact SCD-2 table out.

Without a subcommand, secmaster runs the prototype's demo on its bundled sample trail; the
demo flags stack (e.g. `secmaster -m -f equity -p`). The subcommands work on real files.";

const DEMO_EXAMPLES: &str = "\
Examples:
  secmaster                      the master built from the bundled sample trail
  secmaster -m                   ... and after merging the bundled update
  secmaster -m -f none -p        uncategorized rows, then positions joined on the merged master
  secmaster -s                   SQL statements, run on in-memory SQLite and read back
  secmaster -g --seed 5 -f fx    a small generated trail, its fx view
  secmaster build facts.csv --update late.csv -o master.parquet";

/// The `secmaster` command line.
#[derive(Debug, Parser)]
#[command(
    name = "secmaster",
    version,
    about = ABOUT,
    long_about = LONG_ABOUT,
    after_help = DEMO_EXAMPLES,
    max_term_width = 100
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Option<Command>,
    #[command(flatten)]
    pub(crate) demo: DemoArgs,
    #[command(flatten)]
    pub(crate) display: DisplayArgs,
}

/// The prototype's demo flags, on the bare command.
#[derive(Debug, Args)]
#[command(next_help_heading = "Demo (no subcommand)")]
pub(crate) struct DemoArgs {
    /// Also print the master after merging the bundled update batch
    #[arg(short = 'm', long)]
    pub(crate) merge: bool,
    /// Show only rows of asset class CLASS (`none`, any case: uncategorized)
    #[arg(short = 'f', long, value_name = "CLASS")]
    pub(crate) filter: Option<String>,
    /// Print the bundled positions joined on the current master as of their dates
    #[arg(short = 'p', long)]
    pub(crate) positions: bool,
    /// Print the SQL that stores the master in SQLite and reads it back, and run it
    #[arg(short = 's', long)]
    pub(crate) sql: bool,
    /// Use a small freshly generated trail instead of the sample (not with -m)
    #[arg(short = 'g', long)]
    pub(crate) generate: bool,
    /// The seed of -g, to make its trail repeatable
    #[arg(long, value_name = "N", requires = "generate")]
    pub(crate) seed: Option<u64>,
}

/// How tables are printed in the `table` format; accepted everywhere.
#[derive(Debug, Args)]
#[command(next_help_heading = "Table display")]
pub(crate) struct DisplayArgs {
    /// Dates as `iso` (2024-03-22, the default), `us` (the prototype's 03/22/24) or a
    /// strftime pattern such as `%d.%m.%Y`
    #[arg(long, value_name = "FORMAT", global = true)]
    pub(crate) date_format: Option<String>,
    /// Elide cells longer than N characters with `…` (0: never)
    #[arg(long, value_name = "N", default_value_t = 32, global = true)]
    pub(crate) max_cell: usize,
    /// Fold tables wider than N characters into blocks of columns (default: the terminal's
    /// width on a terminal, otherwise never)
    #[arg(long, value_name = "N", global = true)]
    pub(crate) width: Option<usize>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Build a master from fact files, merge later batches, print or write it
    #[command(after_help = "\
Examples:
  secmaster build facts.csv
  secmaster build jan.csv feb.jsonl --update late.csv --update corrections.parquet -o master.parquet
  secmaster build facts.csv --asset-class equity --columns ticker,name,market_cap
  secmaster build facts.csv --as-of 2024-06-30 --format csv > snapshot.csv
  secmaster build master.parquet --update today.csv -o master.parquet")]
    Build(BuildArgs),
    /// Join positions onto a master as of their dates
    #[command(after_help = "\
Examples:
  secmaster positions positions.csv facts.csv
  secmaster positions positions.csv master.parquet --left --columns ticker,name
  secmaster positions positions.csv facts.csv --update late.csv -o joined.parquet")]
    Positions(PositionsArgs),
    /// Write a realistic, deterministic fact trail (streams: any size in constant memory)
    #[command(after_help = "\
Examples:
  secmaster generate --securities 10000 --facts 1000000 --seed 42 -o facts.csv
  secmaster generate --securities 5 --facts 80 | head")]
    Generate(GenerateArgs),
    /// Convert a table losslessly between Parquet, Arrow IPC, CSV and SQLite (or to JSON Lines)
    #[command(after_help = "\
Examples:
  secmaster convert master.parquet master.arrow
  secmaster convert master.parquet master.sqlite
  secmaster convert master.arrow master.csv")]
    Convert(ConvertArgs),
    /// Print the SQL statements that create and fill a table with the master
    #[command(after_help = "\
Examples:
  secmaster sql                                   the bundled sample, for SQLite
  secmaster sql facts.csv --dialect postgres --table securities > load.sql
  secmaster sql master.store --dialect duckdb | duckdb master.duckdb")]
    Sql(SqlArgs),
    /// Create an empty store: a directory for a fact log and the table it makes
    #[command(after_help = "\
Examples:
  secmaster init master.store
  secmaster init master.store --priority asset_class,ticker,isin")]
    Init(InitArgs),
    /// Append a batch (one or more fact files) to a store and bring its table up to date
    #[command(after_help = "\
Exit status: 0 when the batch is committed, even if something after the commit failed (the
sync of the store's folder, the removal of a superseded file): a `warning:` on stderr says
what, and the batch stays committed, so do not retry it. 1 when the batch is refused or
cannot be written (the store is as it was), 2 for bad usage. A batch whose facts are exactly
those of the last batch is refused as a likely retry, unless --allow-duplicate.

Examples:
  secmaster ingest master.store vendor_a.csv vendor_b.jsonl
  secmaster ingest master.store corrections.csv --dry-run
  secmaster ingest master.store today.parquet --wait")]
    Ingest(IngestArgs),
    /// List a store's batches: number, commit time, sources, facts, log file and checksum
    Log(StoreOutputArgs),
    /// Which securities carried an attribute value on a date (e.g. a ticker, after changes)
    #[command(after_help = "\
Examples:
  secmaster resolve master.store --where ticker=LENZ --on 2024-04-01
  secmaster resolve master.store --where isin=US5260001066 --on 2023-12-31 --as-known-at 3")]
    Resolve(ResolveArgs),
    /// A security's periods in a store, with the fact and batch that set each value
    #[command(after_help = "\
Examples:
  secmaster history master.store --security 1")]
    History(HistoryArgs),
    /// Rewrite a store's state and table as one file each (ingest does this when needed)
    Compact(CompactArgs),
    /// Serve a store over HTTP: point-in-time lookups (JSON, CSV, Arrow) and a page to browse
    /// a security's history; picks up each new commit
    #[command(after_help = "\
Routes: / (the page), /api/v1/securities/{id}[/history], /api/v1/resolve, /api/v1/snapshot,
/api/v1/search, /api/v1/batches (GET; POST ingests with the token), /healthz, /metrics.

Examples:
  secmaster serve master.store
  secmaster serve master.store --addr 127.0.0.1:9000 --token-file token.txt")]
    Serve(ServeArgs),
    /// Check every file of a store against its checksum, and its table against its log
    Verify {
        /// The store
        #[arg(value_name = "STORE")]
        store: PathBuf,
    },
    /// Print a shell completion script
    #[command(after_help = "\
Examples:
  secmaster completions bash > ~/.local/share/bash-completion/completions/secmaster
  secmaster completions zsh > ~/.zfunc/_secmaster")]
    Completions {
        /// The shell
        shell: clap_complete::Shell,
    },
}

/// `secmaster build`.
#[derive(Debug, Args)]
pub(crate) struct BuildArgs {
    /// Fact files (CSV, JSON Lines, Parquet) read as one trail in the order given, a table
    /// file secmaster wrote (Parquet, Arrow IPC, SQLite, CSV), or a STORE. A table keeps what
    /// changed, not every fact: merging into it equals a rebuild unless a fact only
    /// re-asserted a value (a store keeps every fact, so merging into it is exact)
    #[arg(required = true, value_name = "FACTS")]
    pub(crate) facts: Vec<PathBuf>,
    #[command(flatten)]
    pub(crate) updates: UpdateArgs,
    #[command(flatten)]
    pub(crate) view: ViewArgs,
    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

/// `secmaster positions`.
#[derive(Debug, Args)]
pub(crate) struct PositionsArgs {
    /// Positions file: `security_id,quantity,date` (CSV, JSON Lines or Parquet)
    #[arg(value_name = "POSITIONS")]
    pub(crate) positions: PathBuf,
    /// Fact files, a table file or a store, as for `build`
    #[arg(required = true, value_name = "FACTS")]
    pub(crate) facts: Vec<PathBuf>,
    #[command(flatten)]
    pub(crate) updates: UpdateArgs,
    /// Keep positions that no row covers, with null attributes (default: drop them)
    #[arg(long)]
    pub(crate) left: bool,
    #[command(flatten)]
    pub(crate) view: ViewArgs,
    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

/// Later batches, and the point in a store's history to read.
#[derive(Debug, Args)]
pub(crate) struct UpdateArgs {
    /// A later batch of facts, merged after the trail; repeat for several batches, merged in
    /// order
    #[arg(long = "update", value_name = "FACTS")]
    pub(crate) updates: Vec<PathBuf>,
    /// Read a STORE as it stood after batch N, or after the last batch committed by a time
    /// (RFC 3339, e.g. 2026-11-27T09:30:00Z) or by the end of a day (YYYY-MM-DD, UTC)
    #[arg(long, value_name = "N|TIME", value_parser = parse_known_at)]
    pub(crate) as_known_at: Option<KnownAt>,
}

pub(crate) use secmaster_store::KnownAt;

fn parse_known_at(s: &str) -> Result<KnownAt, String> {
    s.parse()
}

/// `secmaster init`.
#[derive(Debug, Args)]
pub(crate) struct InitArgs {
    /// The store's directory (created; must not exist or be empty)
    #[arg(value_name = "STORE")]
    pub(crate) store: PathBuf,
    /// Attribute columns to show first, in this order (default: asset_class,ticker,name)
    #[arg(long, value_name = "A,B,...", value_delimiter = ',')]
    pub(crate) priority: Option<Vec<String>>,
}

/// `secmaster ingest`.
#[derive(Debug, Args)]
pub(crate) struct IngestArgs {
    /// The store
    #[arg(value_name = "STORE")]
    pub(crate) store: PathBuf,
    /// Fact files (CSV, JSON Lines, Parquet), read in order as one batch
    #[arg(required = true, value_name = "FACTS")]
    pub(crate) facts: Vec<PathBuf>,
    /// Say what the batch would change, without writing anything
    #[arg(long)]
    pub(crate) dry_run: bool,
    /// If another writer holds the store, wait for it instead of failing
    #[arg(long)]
    pub(crate) wait: bool,
    /// Wait at most this long for another writer (implies --wait), then fail
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds)]
    pub(crate) wait_timeout: Option<std::time::Duration>,
    /// Do not compact during this ingest, however large the deltas have grown (run
    /// `secmaster compact` at a quiet time instead)
    #[arg(long)]
    pub(crate) no_compact: bool,
    /// Ingest the batch even if its facts are exactly those of the store's last batch
    /// (otherwise refused: most likely the retry of an ingest that was committed)
    #[arg(long)]
    pub(crate) allow_duplicate: bool,
    /// Print the summary as `text` (default) or `json`
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = ReportFormat::Text)]
    pub(crate) report: ReportFormat,
}

/// How `ingest` prints its summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ReportFormat {
    /// A few lines for people
    Text,
    /// One JSON object
    Json,
}

/// A store and where to print.
#[derive(Debug, Args)]
pub(crate) struct StoreOutputArgs {
    /// The store
    #[arg(value_name = "STORE")]
    pub(crate) store: PathBuf,
    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

/// `secmaster resolve`.
#[derive(Debug, Args)]
pub(crate) struct ResolveArgs {
    /// The store
    #[arg(value_name = "STORE")]
    pub(crate) store: PathBuf,
    /// The attribute and value to look for, as ATTRIBUTE=VALUE
    #[arg(long = "where", value_name = "ATTR=VALUE")]
    pub(crate) condition: String,
    /// The day (YYYY-MM-DD)
    #[arg(long, value_name = "DATE")]
    pub(crate) on: NaiveDate,
    /// Read the store as it stood after batch N or at a time, as for `build`
    #[arg(long, value_name = "N|TIME", value_parser = parse_known_at)]
    pub(crate) as_known_at: Option<KnownAt>,
    /// Only these attribute columns, in this order (the key columns always stay)
    #[arg(long, value_name = "A,B,...", value_delimiter = ',')]
    pub(crate) columns: Vec<String>,
    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

/// `secmaster history`.
#[derive(Debug, Args)]
pub(crate) struct HistoryArgs {
    /// The store
    #[arg(value_name = "STORE")]
    pub(crate) store: PathBuf,
    /// The security
    #[arg(long, value_name = "ID")]
    pub(crate) security: i64,
    /// Read the store as it stood after batch N or at a time, as for `build`
    #[arg(long, value_name = "N|TIME", value_parser = parse_known_at)]
    pub(crate) as_known_at: Option<KnownAt>,
    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

/// `secmaster serve`.
#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// The store
    #[arg(value_name = "STORE")]
    pub(crate) store: PathBuf,
    /// The address to listen on (loopback unless told otherwise)
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:8750")]
    pub(crate) addr: std::net::SocketAddr,
    /// A file whose first line is the bearer token that allows `POST /api/v1/batches`
    /// (at least 16 characters); without it, writes are disabled
    #[arg(long, value_name = "FILE")]
    pub(crate) token_file: Option<PathBuf>,
}

/// `secmaster compact`.
#[derive(Debug, Args)]
pub(crate) struct CompactArgs {
    /// The store
    #[arg(value_name = "STORE")]
    pub(crate) store: PathBuf,
    /// If another writer holds the store, wait for it instead of failing
    #[arg(long)]
    pub(crate) wait: bool,
    /// Wait at most this long for another writer (implies --wait), then fail
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds)]
    pub(crate) wait_timeout: Option<std::time::Duration>,
}

fn parse_seconds(s: &str) -> Result<std::time::Duration, String> {
    s.parse::<f64>()
        .ok()
        .and_then(|secs| std::time::Duration::try_from_secs_f64(secs).ok())
        .ok_or_else(|| format!("`{s}` is not a number of seconds (e.g. 30 or 0.5)"))
}

/// Which rows and columns to show.
#[derive(Debug, Args)]
#[command(next_help_heading = "View")]
pub(crate) struct ViewArgs {
    /// Only rows of this asset class (`none`, any case: uncategorized), without the columns
    /// that are empty in all of them
    #[arg(long, value_name = "CLASS")]
    pub(crate) asset_class: Option<String>,
    /// Only the rows valid on this day (YYYY-MM-DD); for positions, only positions dated then
    #[arg(long, value_name = "DATE")]
    pub(crate) as_of: Option<NaiveDate>,
    /// Only the rows of this security
    #[arg(long, value_name = "ID")]
    pub(crate) security: Option<i64>,
    /// Only these attribute columns, in this order (the key columns always stay)
    #[arg(long, value_name = "A,B,...", value_delimiter = ',')]
    pub(crate) columns: Vec<String>,
}

/// Where and how to write the result.
#[derive(Debug, Args)]
#[command(next_help_heading = "Output")]
pub(crate) struct OutputArgs {
    /// Output format (default: from the -o extension; on stdout `table` on a terminal,
    /// otherwise `csv`)
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub(crate) format: Option<OutputFormat>,
    /// Write to this file instead of stdout (atomically: a failed run leaves no file)
    #[arg(short = 'o', long, value_name = "PATH")]
    pub(crate) output: Option<PathBuf>,
}

/// What `--format` names: the aligned text table for people, or one of io's file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OutputFormat {
    /// Aligned text for people.
    Table,
    /// A file format, written by io.
    File(Format),
}

impl OutputFormat {
    /// CSV, the format of a table piped on.
    pub(crate) const CSV: OutputFormat = OutputFormat::File(Format::Csv);

    /// The name `--format` takes.
    pub(crate) fn name(self) -> &'static str {
        match self {
            OutputFormat::Table => "table",
            OutputFormat::File(format) => format.name(),
        }
    }

    /// Whether only a file can hold it.
    pub(crate) fn is_binary(self) -> bool {
        matches!(self, OutputFormat::File(format) if format.is_binary())
    }
}

impl ValueEnum for OutputFormat {
    fn value_variants<'a>() -> &'a [Self] {
        static VARIANTS: LazyLock<Vec<OutputFormat>> = LazyLock::new(|| {
            std::iter::once(OutputFormat::Table)
                .chain(Format::ALL.map(OutputFormat::File))
                .collect()
        });
        &VARIANTS
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        let help = match self {
            OutputFormat::Table => "Aligned text for people".to_string(),
            OutputFormat::File(format) if format.is_binary() => {
                format!("{} (needs -o)", format.description())
            }
            OutputFormat::File(format) => format.description().to_string(),
        };
        Some(PossibleValue::new(self.name()).help(help))
    }
}

/// `secmaster generate`.
#[derive(Debug, Args)]
pub(crate) struct GenerateArgs {
    /// How many securities
    #[arg(long, value_name = "N")]
    pub(crate) securities: usize,
    /// How many facts (at least about nine per security, for their first buckets)
    #[arg(long, value_name = "M")]
    pub(crate) facts: u64,
    /// The seed: the same seed writes the same file
    #[arg(long, value_name = "S", default_value_t = 42)]
    pub(crate) seed: u64,
    /// How many facts arrival may reorder (0: date order)
    #[arg(long, value_name = "N", default_value_t = 65_536)]
    pub(crate) shuffle_window: usize,
    /// The CSV file to write (default: stdout)
    #[arg(short = 'o', long, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
}

/// `secmaster convert`.
#[derive(Debug, Args)]
pub(crate) struct ConvertArgs {
    /// The table to read (Parquet, Arrow IPC, CSV, SQLite), by extension
    #[arg(value_name = "IN")]
    pub(crate) input: PathBuf,
    /// The file to write, its format by extension
    #[arg(value_name = "OUT")]
    pub(crate) output: PathBuf,
}

/// `secmaster sql`.
#[derive(Debug, Args)]
pub(crate) struct SqlArgs {
    /// Fact files, a table file or a store, as for `build` (default: the bundled sample trail)
    #[arg(value_name = "FACTS")]
    pub(crate) facts: Vec<PathBuf>,
    #[command(flatten)]
    pub(crate) updates: UpdateArgs,
    /// The SQL dialect
    #[arg(long, value_enum, default_value_t = Dialect::Sqlite)]
    pub(crate) dialect: Dialect,
    /// The table's name
    #[arg(long, value_name = "NAME", default_value = "security_master")]
    pub(crate) table: String,
}

/// SQL dialects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Dialect {
    /// SQLite
    Sqlite,
    /// PostgreSQL
    Postgres,
    /// DuckDB: views over exactly the committed files of one STORE (no copy of the data)
    Duckdb,
}
