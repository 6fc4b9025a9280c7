"""Adapters: tables in and out (CSV, Parquet, DataFrame) and, later, the database store."""
