"""Runs scim2-tester's checks against a SCIM service provider; prints each check's result as a JSON line.

Usage: scim-tester.py <base URL, e.g. http://127.0.0.1:8080/scim/v2> <bearer token>
"""
import json
import sys

from httpx2 import Client
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import check_server

base, token = sys.argv[1], sys.argv[2]
client = SyncSCIMClient(Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60))
for result in check_server(client):
    print(json.dumps({
        "title": result.title,
        "status": result.status.name,
        "resourceType": result.resource_type,
        "reason": result.reason,
        "tags": sorted(result.tags),
    }))
