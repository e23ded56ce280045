"""Validates the API's OpenAPI documents against the OpenAPI 3.0 specification.

Usage: validate_openapi.py BASE_URL
Follows /metadata/ to every document; prints the names validated, or fails with the first error.
"""
import json
import sys
import urllib.request

from openapi_spec_validator import validate


def get(url: str):
    with urllib.request.urlopen(url) as response:
        return json.load(response)


def main() -> None:
    base_url = sys.argv[1]
    validated = []
    for entry in get(f"{base_url}/metadata/"):
        validate(get(entry["endpointUri"]))
        validated.append(entry["name"])
    print(json.dumps(validated))


if __name__ == "__main__":
    main()
