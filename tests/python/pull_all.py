"""Pulls every resource of an Ed-Fi API with the edfi-api-client package, as a new user would.

Usage: pull_all.py BASE_URL CLIENT_KEY CLIENT_SECRET
Prints one JSON object: {"resources": {name: rows pulled}, "totals": {name: Total-Count}}.
"""
import json
import sys

from edfi_api_client import EdFiClient


def main() -> None:
    base_url, key, secret = sys.argv[1:4]
    client = EdFiClient(base_url, key, secret)
    pulled, totals = {}, {}
    # The resource list comes from the API's OpenAPI metadata.
    for _namespace, name in client.resources:
        endpoint = client.resource(name)
        pulled[name] = sum(1 for _ in endpoint.get_rows(page_size=50))
        totals[name] = endpoint.get_total_count()
    print(json.dumps({"resources": pulled, "totals": totals}))


if __name__ == "__main__":
    main()
