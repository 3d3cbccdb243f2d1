//! Interchange for secmaster (stub until its issue lands): Arrow, Parquet, CSV and SQL.
#![deny(missing_docs)]
