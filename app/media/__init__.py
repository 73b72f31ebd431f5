"""The image pipeline (validate, decode, strip, render, hash) and where its files are kept (local disk or S3)."""
