//! Resolution: turns parsed arguments into a [`Plan`], checking what clap cannot (flag
//! combinations, formats from extensions, date patterns) and filling in defaults that depend
//! on the terminal.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use std::fmt::Write as _;

use secmaster_io::Format;

use crate::args::{self, Cli, Command, Dialect, KnownAt, OutputFormat, ReportFormat};
use crate::error::Usage;

/// What the process runs in: whether stdout and stderr are terminals, and how wide.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Env {
    pub(crate) stdout_is_terminal: bool,
    pub(crate) stderr_is_terminal: bool,
    pub(crate) terminal_width: Option<usize>,
}

/// One thing to do.
#[derive(Debug)]
pub(crate) enum Plan {
    Demo(Demo),
    Build(Build),
    Positions(Positions),
    Generate(Generate),
    Convert(Convert),
    Sql(Sql),
    Init(Init),
    Ingest(Ingest),
    Log(StoreOutput),
    Resolve(Resolve),
    History(History),
    Compact { store: PathBuf, wait: Wait },
    Verify(PathBuf),
    Serve(Serve),
    Completions(clap_complete::Shell),
}

/// How the `table` format prints.
#[derive(Debug, Clone)]
pub(crate) struct Display {
    /// A strftime pattern, or `None` for ISO dates.
    pub(crate) date_format: Option<String>,
    /// Cells longer than this are elided (0: never).
    pub(crate) max_cell: usize,
    /// Tables wider than this fold into blocks of columns.
    pub(crate) width: Option<usize>,
}

/// Which trail the demo starts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Trail {
    Sample,
    Generated { seed: u64 },
}

/// The bare command: the prototype's demo.
#[derive(Debug)]
pub(crate) struct Demo {
    pub(crate) trail: Trail,
    pub(crate) merge: bool,
    /// `Some(None)`: the uncategorized rows.
    pub(crate) filter: Option<Option<String>>,
    pub(crate) positions: bool,
    pub(crate) sql: bool,
    pub(crate) display: Display,
}

/// Fact files and later batches, and the point in a store's history to read.
#[derive(Debug, Clone)]
pub(crate) struct Source {
    pub(crate) facts: Vec<PathBuf>,
    pub(crate) updates: Vec<PathBuf>,
    pub(crate) known_at: Option<KnownAt>,
}

/// `secmaster init`.
#[derive(Debug)]
pub(crate) struct Init {
    pub(crate) store: PathBuf,
    pub(crate) priority: Option<Vec<String>>,
}

/// `secmaster ingest`.
#[derive(Debug)]
pub(crate) struct Ingest {
    pub(crate) store: PathBuf,
    pub(crate) facts: Vec<PathBuf>,
    pub(crate) dry_run: bool,
    pub(crate) wait: Wait,
    pub(crate) no_compact: bool,
    pub(crate) allow_duplicate: bool,
    pub(crate) report: ReportFormat,
}

/// How long a store's writer waits for another one to finish.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wait {
    No,
    Forever,
    For(std::time::Duration),
}

impl Wait {
    /// From `--wait` and `--wait-timeout` (which implies it).
    fn of(wait: bool, timeout: Option<std::time::Duration>) -> Wait {
        match (wait, timeout) {
            (_, Some(timeout)) => Wait::For(timeout),
            (true, None) => Wait::Forever,
            (false, None) => Wait::No,
        }
    }
}

/// A store command that prints a table (`log`).
#[derive(Debug)]
pub(crate) struct StoreOutput {
    pub(crate) store: PathBuf,
    pub(crate) output: Output,
}

/// `secmaster resolve`.
#[derive(Debug)]
pub(crate) struct Resolve {
    pub(crate) store: PathBuf,
    pub(crate) attribute: String,
    pub(crate) value: String,
    pub(crate) on: NaiveDate,
    pub(crate) known_at: Option<KnownAt>,
    pub(crate) view: View,
    pub(crate) output: Output,
}

/// `secmaster history`.
#[derive(Debug)]
pub(crate) struct History {
    pub(crate) store: PathBuf,
    pub(crate) security: i64,
    pub(crate) known_at: Option<KnownAt>,
    pub(crate) output: Output,
}

/// `secmaster serve`.
#[derive(Debug)]
pub(crate) struct Serve {
    pub(crate) store: PathBuf,
    pub(crate) addr: std::net::SocketAddr,
    pub(crate) token_file: Option<PathBuf>,
}

/// Which rows and columns to show.
#[derive(Debug, Clone, Default)]
pub(crate) struct View {
    pub(crate) asset_class: Option<Option<String>>,
    pub(crate) as_of: Option<NaiveDate>,
    pub(crate) security: Option<i64>,
    pub(crate) columns: Vec<String>,
}

impl View {
    /// Whether the view is the whole table.
    pub(crate) fn is_whole(&self) -> bool {
        self.asset_class.is_none()
            && self.as_of.is_none()
            && self.security.is_none()
            && self.columns.is_empty()
    }
}

/// Where a table goes.
#[derive(Debug, Clone)]
pub(crate) struct Output {
    pub(crate) format: OutputFormat,
    pub(crate) path: Option<PathBuf>,
    pub(crate) display: Display,
}

/// `secmaster build`.
#[derive(Debug)]
pub(crate) struct Build {
    pub(crate) source: Source,
    pub(crate) view: View,
    pub(crate) output: Output,
}

/// `secmaster positions`.
#[derive(Debug)]
pub(crate) struct Positions {
    pub(crate) positions: PathBuf,
    pub(crate) source: Source,
    pub(crate) left: bool,
    pub(crate) view: View,
    pub(crate) output: Output,
}

/// `secmaster generate`.
#[derive(Debug)]
pub(crate) struct Generate {
    pub(crate) config: secmaster_generate::Config,
    pub(crate) path: Option<PathBuf>,
}

/// `secmaster convert`.
#[derive(Debug)]
pub(crate) struct Convert {
    pub(crate) input: PathBuf,
    pub(crate) output: Output,
}

/// `secmaster sql`.
#[derive(Debug)]
pub(crate) struct Sql {
    /// `None`: the bundled sample trail.
    pub(crate) source: Option<Source>,
    pub(crate) dialect: Dialect,
    pub(crate) table: String,
}

/// Resolves parsed arguments into a plan, or says which usage is wrong.
pub(crate) fn resolve(cli: Cli, env: &Env) -> Result<Plan, Usage> {
    let display = display(&cli.display, env)?;
    let Some(command) = cli.command else {
        return demo(cli.demo, display);
    };
    let d = &cli.demo;
    if d.merge || d.filter.is_some() || d.positions || d.sql || d.generate || d.seed.is_some() {
        return Err(Usage::new(
            "the demo flags -m, -f, -p, -s, -g and --seed apply to the bare command only; \
             subcommands take --update, --asset-class and their own options",
        ));
    }
    Ok(match command {
        Command::Build(a) => Plan::Build(Build {
            source: source(a.facts, a.updates),
            view: view(a.view),
            output: output(a.output, display, env)?,
        }),
        Command::Positions(a) => Plan::Positions(Positions {
            positions: a.positions,
            source: source(a.facts, a.updates),
            left: a.left,
            view: view(a.view),
            output: output(a.output, display, env)?,
        }),
        Command::Generate(a) => {
            if let Some(path) = &a.output
                && let Some(format) = format_of(path)
                && format != OutputFormat::CSV
            {
                return Err(Usage::new(format!(
                    "`generate` writes CSV, but {} names a {} file; give a .csv path",
                    path.display(),
                    format.name()
                )));
            }
            Plan::Generate(Generate {
                config: secmaster_generate::Config::new(a.securities, a.facts)
                    .with_seed(a.seed)
                    .with_shuffle_window(a.shuffle_window),
                path: a.output,
            })
        }
        Command::Convert(a) => {
            let input_format = format_of(&a.input).ok_or_else(|| unknown_extension(&a.input))?;
            let unreadable = match input_format {
                OutputFormat::Table => Some("text table"),
                OutputFormat::File(f) if !f.reads_back() => Some("JSON Lines"),
                OutputFormat::File(_) => None,
            };
            if let Some(what) = unreadable {
                return Err(Usage::new(format!(
                    "{} is a {what} file, which secmaster writes but does not read back as a \
                     table; convert from Parquet, Arrow IPC, CSV or SQLite",
                    a.input.display(),
                )));
            }
            let format = format_of(&a.output).ok_or_else(|| unknown_extension(&a.output))?;
            Plan::Convert(Convert {
                input: a.input,
                output: Output {
                    format,
                    path: Some(a.output),
                    display,
                },
            })
        }
        Command::Sql(a) => Plan::Sql(Sql {
            source: if a.facts.is_empty() {
                if !a.updates.updates.is_empty() || a.updates.as_known_at.is_some() {
                    return Err(Usage::new(
                        "--update and --as-known-at need FACTS or a STORE",
                    ));
                }
                None
            } else {
                Some(source(a.facts, a.updates))
            },
            dialect: a.dialect,
            table: a.table,
        }),
        Command::Init(a) => Plan::Init(Init {
            store: a.store,
            priority: a.priority,
        }),
        Command::Ingest(a) => Plan::Ingest(Ingest {
            store: a.store,
            facts: a.facts,
            dry_run: a.dry_run,
            wait: Wait::of(a.wait, a.wait_timeout),
            no_compact: a.no_compact,
            allow_duplicate: a.allow_duplicate,
            report: a.report,
        }),
        Command::Log(a) => Plan::Log(StoreOutput {
            store: a.store,
            output: output(a.output, display, env)?,
        }),
        Command::Resolve(a) => {
            let (attribute, value) = a
                .condition
                .split_once('=')
                .filter(|(attribute, _)| !attribute.is_empty())
                .ok_or_else(|| {
                    Usage::new(format!(
                        "--where `{}` is not ATTRIBUTE=VALUE, e.g. --where ticker=LENZ",
                        a.condition
                    ))
                })?;
            Plan::Resolve(Resolve {
                store: a.store,
                attribute: attribute.to_string(),
                value: value.to_string(),
                on: a.on,
                known_at: a.as_known_at,
                view: View {
                    columns: a.columns.into_iter().filter(|c| !c.is_empty()).collect(),
                    ..View::default()
                },
                output: output(a.output, display, env)?,
            })
        }
        Command::History(a) => Plan::History(History {
            store: a.store,
            security: a.security,
            known_at: a.as_known_at,
            output: output(a.output, display, env)?,
        }),
        Command::Compact(a) => Plan::Compact {
            store: a.store,
            wait: Wait::of(a.wait, a.wait_timeout),
        },
        Command::Verify { store } => Plan::Verify(store),
        Command::Serve(a) => Plan::Serve(Serve {
            store: a.store,
            addr: a.addr,
            token_file: a.token_file,
        }),
        Command::Completions { shell } => Plan::Completions(shell),
    })
}

fn demo(a: args::DemoArgs, display: Display) -> Result<Plan, Usage> {
    if a.generate && a.merge {
        return Err(Usage::new(
            "-g/--generate cannot be used with -m/--merge: the bundled update batch is about \
             the sample trail's securities; drop one of the two",
        ));
    }
    let trail = if a.generate {
        Trail::Generated {
            seed: a.seed.unwrap_or_else(clock_seed),
        }
    } else {
        Trail::Sample
    };
    Ok(Plan::Demo(Demo {
        trail,
        merge: a.merge,
        filter: a.filter.map(asset_class),
        positions: a.positions,
        sql: a.sql,
        display,
    }))
}

/// A seed for `-g` without `--seed`: the demo shows it, so a run can be repeated.
fn clock_seed() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() % 1_000_000)
}

/// `none`, in any case, is the uncategorized class (the prototype's spelling).
fn asset_class(class: String) -> Option<String> {
    if class.eq_ignore_ascii_case("none") {
        None
    } else {
        Some(class)
    }
}

fn source(facts: Vec<PathBuf>, updates: args::UpdateArgs) -> Source {
    Source {
        facts,
        updates: updates.updates,
        known_at: updates.as_known_at,
    }
}

fn view(a: args::ViewArgs) -> View {
    View {
        asset_class: a.asset_class.map(asset_class),
        as_of: a.as_of,
        security: a.security,
        columns: a.columns.into_iter().filter(|c| !c.is_empty()).collect(),
    }
}

fn display(a: &args::DisplayArgs, env: &Env) -> Result<Display, Usage> {
    let date_format = match a.date_format.as_deref() {
        None | Some("iso") => None,
        Some("us") => Some("%m/%d/%y".to_string()),
        Some(pattern) => {
            // A pattern is checked by formatting a day with it: besides malformed items, a
            // time or zone item (`%H`, `%s`, `%.3f`, `%z`) has nothing to format in a date,
            // and chrono reports that only when the text is written.
            let mut probe = String::new();
            let day = NaiveDate::from_ymd_opt(2024, 3, 22).expect("a valid day");
            if write!(probe, "{}", day.format(pattern)).is_err() {
                return Err(Usage::new(format!(
                    "--date-format `{pattern}` is not a strftime pattern of a date (no time or \
                     zone fields); use iso, us or e.g. %d.%m.%Y"
                )));
            }
            Some(pattern.to_string())
        }
    };
    let width = a.width.or(if env.stdout_is_terminal {
        env.terminal_width
    } else {
        None
    });
    Ok(Display {
        date_format,
        max_cell: a.max_cell,
        width: width.filter(|&w| w > 0),
    })
}

fn output(a: args::OutputArgs, display: Display, env: &Env) -> Result<Output, Usage> {
    let format = match (a.format, &a.output) {
        (Some(f), _) => f,
        (None, Some(path)) => format_of(path).ok_or_else(|| unknown_extension(path))?,
        (None, None) if env.stdout_is_terminal => OutputFormat::Table,
        (None, None) => OutputFormat::CSV,
    };
    if a.output.is_none() && format.is_binary() {
        return Err(Usage::new(format!(
            "--format {} writes a binary file; give it a path with -o",
            format.name()
        )));
    }
    Ok(Output {
        format,
        path: a.output,
        display,
    })
}

/// The format a file's extension names: io's, or the text table for `.txt`.
pub(crate) fn format_of(path: &Path) -> Option<OutputFormat> {
    let ext = path.extension()?.to_str()?;
    if ext.eq_ignore_ascii_case("txt") {
        return Some(OutputFormat::Table);
    }
    Format::from_extension(ext).map(OutputFormat::File)
}

fn unknown_extension(path: &Path) -> Usage {
    let extensions: Vec<String> = Format::ALL
        .iter()
        .map(|f| {
            let each: Vec<String> = f.extensions().iter().map(|e| format!(".{e}")).collect();
            each.join("/")
        })
        .collect();
    Usage::new(format!(
        "cannot tell the format of {} from its extension; use {} or .txt, or give --format",
        path.display(),
        extensions.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    fn plan(args: &[&str], env: Env) -> Result<Plan, Usage> {
        let cli = Cli::try_parse_from(std::iter::once("secmaster").chain(args.iter().copied()))
            .expect("parses");
        resolve(cli, &env)
    }

    fn output_of(args: &[&str], env: Env) -> Output {
        match plan(args, env) {
            Ok(Plan::Build(b)) => b.output,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn format_comes_from_the_extension_then_the_terminal() {
        let pipe = Env::default();
        let tty = Env {
            stdout_is_terminal: true,
            terminal_width: Some(80),
            ..Env::default()
        };
        assert_eq!(
            output_of(&["build", "f.csv"], pipe).format,
            OutputFormat::CSV
        );
        assert_eq!(
            output_of(&["build", "f.csv"], tty).format,
            OutputFormat::Table
        );
        assert_eq!(output_of(&["build", "f.csv"], tty).display.width, Some(80));
        assert_eq!(output_of(&["build", "f.csv"], pipe).display.width, None);
        for (path, format) in [
            ("m.PARQUET", OutputFormat::File(Format::Parquet)),
            ("m.ipc", OutputFormat::File(Format::Ipc)),
            ("m.db", OutputFormat::File(Format::Sqlite)),
            ("m.jsonl", OutputFormat::File(Format::JsonLines)),
            ("m.txt", OutputFormat::Table),
        ] {
            assert_eq!(
                output_of(&["build", "f.csv", "-o", path], tty).format,
                format
            );
        }
        let explicit = output_of(
            &["build", "f.csv", "-o", "m.dat", "--format", "arrow"],
            pipe,
        );
        assert_eq!(explicit.format, OutputFormat::File(Format::Ipc));
    }

    #[test]
    fn date_formats_with_time_or_zone_fields_are_usage_errors() {
        for pattern in ["%H", "%s", "%.3f", "%z", "%Z", "%Y-%m-%d %H:%M", "%Q"] {
            for args in [
                &["--date-format", pattern][..],
                &["build", "f.csv", "--date-format", pattern],
                &[
                    "history",
                    "s.store",
                    "--security",
                    "1",
                    "--date-format",
                    pattern,
                ],
            ] {
                let Err(e) = plan(args, Env::default()) else {
                    panic!("{args:?} was accepted");
                };
                assert!(e.to_string().contains("not a strftime pattern"), "{e}");
            }
        }
        let Ok(Plan::Build(b)) = plan(
            &["build", "f.csv", "--date-format", "%d.%m.%Y"],
            Env::default(),
        ) else {
            panic!()
        };
        assert_eq!(b.output.display.date_format.as_deref(), Some("%d.%m.%Y"));
    }

    #[test]
    fn demo_flags_resolve() {
        let Ok(Plan::Demo(d)) = plan(&["-f", "None", "-p", "--date-format", "us"], Env::default())
        else {
            panic!()
        };
        assert_eq!(d.filter, Some(None));
        assert!(d.positions && !d.merge && !d.sql);
        assert_eq!(d.display.date_format.as_deref(), Some("%m/%d/%y"));
        let Ok(Plan::Demo(d)) = plan(&["-g", "--seed", "4"], Env::default()) else {
            panic!()
        };
        assert_eq!(d.trail, Trail::Generated { seed: 4 });
        assert!(plan(&["-g", "-m"], Env::default()).is_err());
    }
}
