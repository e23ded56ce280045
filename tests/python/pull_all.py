"""Pulls every resource and descriptor of an Ed-Fi API with the edfi-api-client package, as a new user would.

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
    # The resource and descriptor lists come from the API's OpenAPI metadata.
    listed = [(client.resource, name) for _ns, name in client.resources]
    listed += [(client.descriptor, name) for _ns, name in client.descriptors]
    for open_endpoint, name in listed:
        endpoint = open_endpoint(name)
        pulled[name] = sum(1 for _ in endpoint.get_rows(page_size=50))
        totals[name] = endpoint.get_total_count()
    print(json.dumps({"resources": pulled, "totals": totals}))


if __name__ == "__main__":
    main()
