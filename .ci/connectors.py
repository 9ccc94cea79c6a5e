"""Runs two third-party impact.com connectors from PyPI against the mock on loopback, with
only their base URL changed, and checks what they read against the mock's ground truth.

- tap-impact (Singer, Brand API): discovery, then a sync of every stream; every full-table
  stream must equal GET /_mock/world/{Resource}, and the first campaign's actions must equal
  the ground truth for the period synced (the tap shares one bookmark across campaigns, so it
  reads later campaigns only from where the first one ended: its own behaviour, not the
  mock's). A 503 injected through POST /_mock/faults must be survived.
- tap-impactradius (Partner API, written before the August 2024 rules): against the mock's
  legacy rules it must finish, with its clicks and invoices equal to the ground truth; against
  the documented rules it must stop on its first actions request (a start without an end).

Usage: python3 .ci/connectors.py --serve PATH --tap PYTHON --tir PYTHON
Standard library only; loopback only.
"""

import argparse
import collections
import datetime
import json
import os
import subprocess
import sys
import tempfile
import urllib.request

SID = "IRmockDemoAccount00000000000000001"
TOKEN = "mock-demo-token-0123456789abcdef"

# The connectors hard-code their hosts: these wrappers change the names that hold them.
TAP_WRAPPER = """
import os
import tap_impact, tap_impact.client as client, tap_impact.sync as sync
BASE = os.environ["IMPACT_BASE_URL"].rstrip("/")
_init = client.ImpactClient.__init__
def _loopback(self, account_sid, auth_token, api_catalog, user_agent=None):
    _init(self, account_sid, auth_token, api_catalog, user_agent)
    self.base_url = f"{BASE}/{api_catalog}/{account_sid}"
client.ImpactClient.__init__ = _loopback
sync.BASE_URL = BASE
tap_impact.main()
"""

TIR_WRAPPER = """
import os, tap_impactradius
tap_impactradius.BASE_HOST = os.environ["IMPACT_BASE_URL"].rstrip("/")
tap_impactradius.main()
"""

failures = []


def check(ok, what):
    print(("ok    " if ok else "FAIL  ") + what)
    if not ok:
        failures.append(what)


class Mock:
    def __init__(self, serve, *flags):
        self.process = subprocess.Popen(
            [serve, "--scale", "small", "--quota", "real", "--frozen", *flags],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.url = self.process.stdout.readline().strip()
        assert self.url.startswith("http://127.0.0.1:"), self.url

    def world(self, resource, api):
        with urllib.request.urlopen(f"{self.url}/_mock/world/{resource}?api={api}") as answer:
            return [json.loads(line) for line in answer.read().decode().splitlines()]

    def control(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method)
        with urllib.request.urlopen(request) as answer:
            return json.loads(answer.read())

    def stop(self):
        self.process.stdin.close()
        self.process.wait(timeout=10)


def run(python, wrapper, url, args, directory):
    script = os.path.join(directory, "wrapper.py")
    with open(script, "w") as out:
        out.write(wrapper)
    env = dict(os.environ, IMPACT_BASE_URL=url)
    done = subprocess.run([python, script, *args], env=env, capture_output=True, text=True,
                          cwd=directory, timeout=300)
    return done


def records(output):
    found = collections.defaultdict(list)
    for line in output.splitlines():
        message = json.loads(line)
        if message["type"] == "RECORD":
            found[message["stream"]].append(message["record"])
    return found


def when(text):
    return datetime.datetime.fromisoformat(text)


def tap_impact(serve, python, directory):
    mock = Mock(serve)
    try:
        config = os.path.join(directory, "config.json")
        start = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=400)).date()
        with open(config, "w") as out:
            json.dump({"account_sid": SID, "auth_token": TOKEN, "api_catalog": "Advertisers",
                       "start_date": f"{start}T00:00:00Z", "model_id": "1",
                       "user_agent": "impact-rs ci <ci@example.invalid>"}, out)
        discovered = run(python, TAP_WRAPPER, mock.url, ["-c", config, "--discover"], directory)
        check(discovered.returncode == 0, "tap-impact discovery exits 0")
        catalog = json.loads(discovered.stdout)
        for stream in catalog["streams"]:
            for entry in stream["metadata"]:
                if entry["breadcrumb"] == []:
                    entry["metadata"]["selected"] = True
        selected = os.path.join(directory, "catalog.json")
        with open(selected, "w") as out:
            json.dump(catalog, out)
        check(len(catalog["streams"]) == 25, f"tap-impact discovers 25 streams ({len(catalog['streams'])})")
        mock.control("POST", "/_mock/faults", {"method": "GET", "path": "/Actions", "times": 2,
                                               "status": 503, "shape": "html"})
        synced = run(python, TAP_WRAPPER, mock.url, ["-c", config, "--catalog", selected], directory)
        check(synced.returncode == 0, "tap-impact syncs every stream, surviving two injected 503s")
        if synced.returncode != 0:
            print(synced.stderr[-2000:])
            return
        got = records(synced.stdout)
        full = {"ads": ("Ads", "Id", "id"), "campaigns": ("Campaigns", "Id", "id"),
                "catalogs": ("Catalogs", "Id", "id"), "catalog_items": ("CatalogItems", "CatalogItemId", "catalog_item_id"),
                "contacts": ("Contacts", "Id", "id"), "conversion_paths": ("ConversionPaths", "Uri", "uri"),
                "deals": ("Deals", "Id", "id"), "exception_lists": ("ExceptionLists", "Id", "id"),
                "exception_list_items": ("ExceptionListItems", "Id", "id"),
                "media_partner_groups": ("MediaPartnerGroups", "Id", "id"),
                "media_partners": ("MediaPartners", "Id", "id"), "phone_numbers": ("PhoneNumbers", "Id", "id"),
                "promo_codes": ("PromoCodes", "Id", "id"), "reports": ("Reports", "Id", "id"),
                "tracking_value_requests": ("TrackingValueRequests", "Id", "id"),
                "unique_urls": ("UniqueUrls", "Id", "id")}
        for stream, (resource, key, field) in sorted(full.items()):
            want = {str(int(item[key])) if item[key].isdigit() else item[key] for item in mock.world(resource, "brand")}
            if stream == "conversion_paths":
                want = {uri for uri in want if "/Models/1/" in uri}
            have = {str(record[field]) for record in got[stream]}
            check(have == want and want, f"tap-impact {stream}: {len(have)} records = ground truth {len(want)}")
        today = datetime.datetime.now(datetime.timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
        since = datetime.datetime.combine(start, datetime.time(), datetime.timezone.utc)
        actions = mock.world("Actions", "brand")
        want = {a["Id"] for a in actions if a["CampaignId"] == "1000" and since <= when(a["EventDate"]) <= today}
        have = {r["id"] for r in got["actions"] if str(r["campaign_id"]) == "1000"}
        check(have == want and want, f"tap-impact actions of campaign 1000: {len(have)} = ground truth {len(want)}")
    finally:
        mock.stop()


def tap_impactradius(serve, python, directory):
    config = os.path.join(directory, "tir.json")
    start = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=60)
    with open(config, "w") as out:
        json.dump({"account_sid": SID, "auth_token": TOKEN, "validation_window": 30,
                   "start_date": start.strftime("%Y-%m-%dT00:00:00Z")}, out)
    since = datetime.datetime.combine(start.date(), datetime.time(), datetime.timezone.utc)
    mock = Mock(serve, "--rules", "legacy")
    try:
        synced = run(python, TIR_WRAPPER, mock.url, ["-c", config], directory)
        check(synced.returncode == 0, "tap-impactradius syncs invoices, actions and clicks (legacy rules)")
        if synced.returncode != 0:
            print(synced.stderr[-2000:])
            return
        got = records(synced.stdout)
        clicks = {c["Id"] for c in mock.world("Clicks", "partner") if when(c["EventDate"]) >= since}
        check({r["Id"] for r in got["clicks"]} == clicks and clicks,
              f"tap-impactradius clicks: {len(got['clicks'])} = ground truth {len(clicks)}")
        floor = since - datetime.timedelta(days=30)
        invoices = {i["Id"] for i in mock.world("Invoices", "partner") if when(i["CreatedDate"]) >= floor}
        check({r["Id"] for r in got["invoices"]} == invoices and invoices,
              f"tap-impactradius invoices: {len(got['invoices'])} = ground truth {len(invoices)}")
        created = {a["Id"] for a in mock.world("Actions", "partner") if when(a["CreationDate"]) >= floor}
        check(created <= {r["Id"] for r in got["actions"]},
              f"tap-impactradius reads every action created since its start ({len(created)})")
    finally:
        mock.stop()
    mock = Mock(serve)
    try:
        refused = run(python, TIR_WRAPPER, mock.url, ["-c", config], directory)
        check(refused.returncode != 0 and "400 Client Error" in refused.stderr,
              "tap-impactradius stops on a 400 under the documented rules, as against the real API")
    finally:
        mock.stop()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--serve", required=True)
    parser.add_argument("--tap", required=True)
    parser.add_argument("--tir", required=True)
    args = parser.parse_args()
    serve, tap, tir = (os.path.abspath(path) for path in (args.serve, args.tap, args.tir))
    with tempfile.TemporaryDirectory() as directory:
        tap_impact(serve, tap, directory)
        tap_impactradius(serve, tir, directory)
    print(f"{len(failures)} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
