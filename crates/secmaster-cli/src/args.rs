//! The command line's grammar: clap derive types only. Validation and defaults that depend on
//! more than one flag live in `plan`.

use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand, ValueEnum};

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
  secmaster sql facts.csv --dialect postgres --table securities > load.sql")]
    Sql(SqlArgs),
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
    /// Fact files (CSV, JSON Lines, Parquet) read as one trail in the order given, or a table
    /// file secmaster wrote (Parquet, Arrow IPC, SQLite, CSV). A table keeps what changed,
    /// not every fact: merging into it equals a rebuild unless a fact only re-asserted a value
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
    /// Fact files or a table file, as for `build`
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

/// Later batches.
#[derive(Debug, Args)]
pub(crate) struct UpdateArgs {
    /// A later batch of facts, merged after the trail; repeat for several batches, merged in
    /// order
    #[arg(long = "update", value_name = "FACTS")]
    pub(crate) updates: Vec<PathBuf>,
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
    pub(crate) format: Option<Format>,
    /// Write to this file instead of stdout (atomically: a failed run leaves no file)
    #[arg(short = 'o', long, value_name = "PATH")]
    pub(crate) output: Option<PathBuf>,
}

/// The table formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// Aligned text for people
    Table,
    /// CSV with a header row, ISO dates and empty fields for null
    Csv,
    /// JSON Lines: one object per row
    Json,
    /// Apache Parquet (needs -o)
    Parquet,
    /// Arrow IPC file (needs -o)
    Arrow,
    /// A SQLite database file (needs -o)
    Sqlite,
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
    /// Fact files or a table file, as for `build` (default: the bundled sample trail)
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
}
