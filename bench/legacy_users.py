#!/usr/bin/env python3
"""Generates a legacy user base for `tessera import` (docs/import.md): N records from three
role-split systems (shop customers, partners, back-office admins), where about one email in
eight appears in two or three systems, some with different passwords.

Usage: bench/legacy_users.py RECORDS > users.jsonl

Hashes come from a small pool of real Django PBKDF2 hashes (the import parses and checks
hashes; it verifies them only at sign-in), so generating a million records takes seconds.
"""
import base64
import hashlib
import json
import random
import sys


def django(password, salt):
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), 1000, 32)
    return f"pbkdf2_sha256$1000${salt}${base64.b64encode(digest).decode()}"


def main():
    records = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    rng = random.Random(20261201)
    hashes = [django(f"password {i}", f"salt{i}") for i in range(64)]
    systems = [("shop", "customer"), ("partners", "partner"), ("backoffice", "admin")]
    out = sys.stdout
    written = person = 0
    while written < records:
        person += 1
        email = f"person{person}@example.com"
        # One person in eight has records in two or three systems.
        count = 1 if rng.random() >= 0.125 else rng.choice((2, 3))
        for source, kind in rng.sample(systems, count):
            if written == records:
                break
            written += 1
            record = {
                "source": source,
                "legacy_id": f"{source[0]}-{person}",
                "kind": kind,
                "email": email,
                "password_hash": rng.choice(hashes),
                "display_name": f"Person {person}",
                "updated_at": 1_600_000_000 + rng.randrange(150_000_000),
            }
            if rng.random() < 0.8:
                record["email_confirmed_at"] = 1_600_000_000
            out.write(json.dumps(record, separators=(",", ":")))
            out.write("\n")


if __name__ == "__main__":
    main()
