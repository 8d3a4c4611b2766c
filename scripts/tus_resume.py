"""A photo sent with the tus project's Python client (tuspy) over a connection that
breaks mid-transfer, then resumed by a new client from the stored upload URL: the photo
must arrive whole, with the SHA-256 of the file sent.

The break is real: the first client talks through a small TCP proxy that closes both
sides after a set number of bytes from the client, in the middle of a PATCH body.
Environment: FIELDWEEK_URL, FIELDWEEK_USERNAME, FIELDWEEK_PASSWORD.
"""

import hashlib
import os
import socket
import sys
import tempfile
import time
import threading
import uuid
from datetime import datetime, timedelta, timezone

import requests
from tusclient import client as tus

BASE = os.environ["FIELDWEEK_URL"].rstrip("/")
CUT_AFTER = 700_000  # bytes from the client before the proxy drops the connection
PHOTO_BYTES = 2 * 1024 * 1024 + 12_345
CHUNK = 512 * 1024


def fail(message):
    print(f"FAIL: {message}", file=sys.stderr)
    sys.exit(1)


class CuttingProxy:
    """Forwards one port to the server, closing every connection once `limit` bytes
    have come from the clients in all (so the cut lands inside an upload's body)."""

    def __init__(self, target_port, limit):
        self.target_port = target_port
        self.remaining = limit
        self.lock = threading.Lock()
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen()
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            client, _ = self.listener.accept()
            server = socket.create_connection(("127.0.0.1", self.target_port))
            threading.Thread(target=self.pipe, args=(client, server, True), daemon=True).start()
            threading.Thread(target=self.pipe, args=(server, client, False), daemon=True).start()

    def pipe(self, source, sink, counted):
        try:
            while True:
                data = source.recv(64 * 1024)
                if not data:
                    break
                if counted:
                    with self.lock:
                        allowed = min(len(data), max(self.remaining, 0))
                        self.remaining -= len(data)
                    sink.sendall(data[:allowed])
                    if allowed < len(data):
                        break
                else:
                    sink.sendall(data)
        except OSError:
            pass
        for s in (source, sink):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()


def login():
    answer = requests.post(
        f"{BASE}/api/v1/auth/login",
        json={"username": os.environ["FIELDWEEK_USERNAME"], "password": os.environ["FIELDWEEK_PASSWORD"]},
        timeout=60,
    )
    if answer.status_code != 200:
        fail(f"login: {answer.status_code} {answer.text}")
    return answer.json()["access_token"]


def main():
    token = login()
    auth = {"Authorization": f"Bearer {token}"}
    visit_id = str(uuid.uuid4())
    visit = {
        "id": visit_id,
        "visited_at": (datetime.now(timezone.utc) - timedelta(hours=1)).isoformat(),
        "location": {"lat": 18.7883, "lon": 98.9853, "accuracy_m": 10.0},
        "target_groups": ["elderly"],
        "activity": "home_visit",
        "households_visited": 1,
        "people_reached": 2,
        "summary": "เยี่ยมบ้าน ถ่ายภาพบ้านที่ทรุดโทรม",
        "follow_up_needed": False,
        "photos_expected": 1,
    }
    answer = requests.post(f"{BASE}/api/v1/visits", json=visit, headers=auth, timeout=60)
    if answer.status_code != 201:
        fail(f"filing the visit: {answer.status_code} {answer.text}")

    photo = b"\xff\xd8\xff\xe0" + os.urandom(PHOTO_BYTES - 4)
    sha256 = hashlib.sha256(photo).hexdigest()
    with tempfile.NamedTemporaryFile(suffix=".jpg", delete=False) as file:
        file.write(photo)
        path = file.name
    metadata = {"record": f"visit:{visit_id}", "content_type": "image/jpeg", "filename": "house.jpg"}

    # The first client, through the proxy that breaks the connection mid-body.
    proxy = CuttingProxy(int(BASE.rsplit(":", 1)[1]), CUT_AFTER)
    first = tus.TusClient(f"http://127.0.0.1:{proxy.port}/api/v1/uploads", headers=auth)
    uploader = first.uploader(path, chunk_size=CHUNK, metadata=metadata, retries=0)
    uploader.set_url(uploader.create_url())
    upload_path = "/api/v1/uploads/" + uploader.url.rsplit("/", 1)[1]
    try:
        uploader.upload()
        fail("the upload went through a proxy that should have cut it")
    except Exception as error:  # tuspy raises its own errors or requests' on a broken connection
        print(f"connection cut as planned: {type(error).__name__}")

    # Where the server stands: bytes that came before the cut are kept. The client sees the
    # cut before the server has finished with the cut request (it still writes what came
    # before the cut), so the offset is read until it holds still.
    def stored_offset():
        head = requests.head(
            f"{BASE}{upload_path}", headers={**auth, "Tus-Resumable": "1.0.0"}, timeout=60
        )
        return int(head.headers["Upload-Offset"])

    offset = stored_offset()
    for _ in range(50):
        time.sleep(0.2)
        settled = stored_offset()
        if settled == offset:
            break
        offset = settled
    print(f"stored offset after the cut: {offset} of {len(photo)} (chunks of {CHUNK})")
    if not 0 < offset < len(photo):
        fail(f"expected part of the photo stored, got offset {offset}")

    # A new client, with the stored URL, resumes and checksums its chunks (sha1).
    second = tus.TusClient(f"{BASE}/api/v1/uploads", headers=auth)
    resumed = second.uploader(
        path, url=f"{BASE}{upload_path}", chunk_size=CHUNK, metadata=metadata, upload_checksum=True
    )
    if resumed.offset != offset:
        fail(f"the new client resumed at {resumed.offset}, not {offset}")
    resumed.upload()
    os.unlink(path)

    stored = requests.get(f"{BASE}/api/v1/visits/{visit_id}", headers=auth, timeout=60).json()
    if stored["photos_received"] != 1 or len(stored["photos"]) != 1:
        fail(f"the visit holds {stored['photos']}")
    if stored["photos"][0]["sha256"] != sha256:
        fail("the stored photo's sha256 differs from the file sent")
    served = requests.get(
        f"{BASE}/api/v1/visits/{visit_id}/photos/{stored['photos'][0]['id']}", headers=auth, timeout=60
    )
    if hashlib.sha256(served.content).hexdigest() != sha256:
        fail("the served photo differs from the file sent")
    print(f"photo arrived whole: {len(served.content)} bytes, sha256 {sha256[:16]}...")


if __name__ == "__main__":
    main()
