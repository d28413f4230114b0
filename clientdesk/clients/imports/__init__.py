"""Importing companies, contacts, contracts and revenue from CSV and Excel files.

readers (file → rows) → columns (titles → fields) → rows (cells → values and errors) →
writers (bulk look-ups and writes per batch) → runner (transactions, progress, report);
services ties them to ImportJob for the views and the background task.
"""
