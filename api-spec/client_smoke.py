"""A phone app's first day, through the Python client generated from api-spec/openapi.yaml.

Run by scripts/generated-client.sh against a fresh server. Uses only the generated
client's functions and models (no hand-written HTTP), so a spec that generates a client
that cannot do this fails here. Exits non-zero, saying what differed, on any mismatch.

Environment: FIELDWEEK_URL, FIELDWEEK_ADMIN_USERNAME, FIELDWEEK_ADMIN_PASSWORD.
"""

import datetime
import io
import os
import sys
import time
import uuid

import httpx
import openpyxl

from fieldweek_client import AuthenticatedClient, Client
from fieldweek_client.api.auth import auth_login, auth_me
from fieldweek_client.api.operations import operations_readyz
from fieldweek_client.api.users import users_create, users_import
from fieldweek_client.api.visits import (
    visits_get,
    visits_get_photo,
    visits_list,
    visits_submit,
    visits_upload_photo,
)
from fieldweek_client.models import (
    Activity,
    CreateUserInput,
    ImportAnswer,
    LoginInput,
    Location,
    Photo,
    Role,
    TargetGroup,
    TokenPair,
    User,
    Visit,
    VisitInput,
)
from fieldweek_client.types import File

BANGKOK = datetime.timezone(datetime.timedelta(hours=7))


def check(condition, what, got=None):
    if not condition:
        sys.exit(f"client smoke test FAILED: {what}" + ("" if got is None else f"\n  got: {got!r}"))


def expect(response, status, what):
    """A response of the generated client with this status and a parsed body."""
    check(
        response.status_code == status,
        f"{what}: expected HTTP {status}, got {int(response.status_code)}",
        response.content[:2000],
    )
    return response.parsed


def tiny_jpeg():
    """An 8x8 mid-grey baseline JPEG, built by hand: one quantisation table, one Huffman
    table each for DC and AC holding a single one-bit code (DC difference 0, end of block),
    and one block of entropy-coded data."""

    def segment(marker, body):
        return bytes([0xFF, marker]) + (len(body) + 2).to_bytes(2, "big") + body

    jfif = segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
    quantisation = segment(0xDB, b"\x00" + bytes([1] * 64))
    frame = segment(0xC0, b"\x08\x00\x08\x00\x08\x01" + b"\x01\x11\x00")
    one_code = bytes([1] + [0] * 15) + b"\x00"
    dc_table = segment(0xC4, b"\x00" + one_code)
    ac_table = segment(0xC4, b"\x10" + one_code)
    scan = segment(0xDA, b"\x01\x01\x00\x00\x3f\x00")
    # Bits "0" (DC: no difference) and "0" (AC: end of block), padded with ones.
    data = b"\x3f"
    return b"\xff\xd8" + jfif + quantisation + frame + dc_table + ac_table + scan + data + b"\xff\xd9"


def main():
    base = os.environ["FIELDWEEK_URL"]
    admin_username = os.environ["FIELDWEEK_ADMIN_USERNAME"]
    admin_password = os.environ["FIELDWEEK_ADMIN_PASSWORD"]
    anonymous = Client(base_url=base, raise_on_unexpected_status=True)

    # The script waited for the port; readiness (the database answering) may lag it.
    for _ in range(50):
        try:
            if operations_readyz.sync_detailed(client=anonymous).status_code == 200:
                break
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    else:
        check(False, f"{base}/readyz did not answer 200")

    def login(username, password):
        tokens = expect(
            auth_login.sync_detailed(client=anonymous, body=LoginInput(username=username, password=password)),
            200,
            f"login as {username}",
        )
        check(isinstance(tokens, TokenPair), "login answers a TokenPair", tokens)
        check(tokens.user.username == username, "login answers the account logged in", tokens.user)
        return tokens, AuthenticatedClient(base_url=base, token=tokens.access_token, raise_on_unexpected_status=True)

    _, admin = login(admin_username, admin_password)

    username = f"volunteer.{uuid.uuid4().hex[:8]}"
    password = "ปลูกผักริมปิงทุกเช้า 2569"
    created = expect(
        users_create.sync_detailed(
            client=admin,
            body=CreateUserInput(
                username=username,
                display_name="บุญมี แก้วมณี",
                password=password,
                role=Role.VOLUNTEER,
                area_code="5001",
                phone="081-234-5678",
            ),
        ),
        201,
        "create the volunteer",
    )
    check(isinstance(created, User), "users_create answers a User", created)
    check(created.role == Role.VOLUNTEER and created.area_code == "5001", "the new account's role and area", created)
    check(created.phone == "+66812345678", "the phone is stored in E.164", created.phone)

    tokens, volunteer = login(username, password)
    check(tokens.user.id == created.id, "the volunteer logs in as the account created", tokens.user.id)
    me = expect(auth_me.sync_detailed(client=volunteer), 200, "read one's own account")
    check(me.id == created.id and me.display_name == "บุญมี แก้วมณี", "auth_me names the volunteer", me)

    visit_id = str(uuid.uuid4())
    visited_at = datetime.datetime.now(BANGKOK).replace(microsecond=0) - datetime.timedelta(hours=1)
    summary = "เยี่ยมบ้านผู้สูงอายุติดเตียง อายุ 82 ปี ลูกสาวเป็นผู้ดูแลหลัก ต้องการรถเข็นและแผ่นรองซับ"
    needs = ["รถเข็นวีลแชร์", "แผ่นรองซับผู้ใหญ่"]
    filed = expect(
        visits_submit.sync_detailed(
            client=volunteer,
            body=VisitInput(
                id=visit_id,
                visited_at=visited_at,
                location=Location(lat=18.7883, lon=98.9853, accuracy_m=12.0),
                target_groups=[TargetGroup.ELDERLY, TargetGroup.DISABLED],
                activity=Activity.HOME_VISIT,
                households_visited=3,
                people_reached=7,
                summary=summary,
                needs=needs,
                follow_up_needed=True,
            ),
        ),
        201,
        "file the visit",
    )
    check(isinstance(filed, Visit) and filed.id == visit_id, "visits_submit answers the Visit with the phone's id", filed)

    jpeg = tiny_jpeg()
    photo = expect(
        visits_upload_photo.sync_detailed(
            visit_id, client=volunteer, body=File(payload=io.BytesIO(jpeg), file_name="visit.jpg", mime_type="image/jpeg")
        ),
        201,
        "upload the photo",
    )
    check(isinstance(photo, Photo), "visits_upload_photo answers a Photo", photo)
    check(photo.content_type == "image/jpeg" and photo.bytes_ == len(jpeg), "the photo's type and size", photo)

    visit = expect(visits_get.sync_detailed(visit_id, client=volunteer), 200, "read the visit back")
    check(isinstance(visit, Visit), "visits_get answers a Visit", visit)
    wanted = {
        "id": visit_id,
        "author_id": created.id,
        "visited_at": visited_at,
        "area_code": "500102",
        "target_groups": {TargetGroup.ELDERLY, TargetGroup.DISABLED},
        "activity": Activity.HOME_VISIT,
        "households_visited": 3,
        "people_reached": 7,
        "summary": summary,
        "needs": needs,
        "follow_up_needed": True,
        "review_status": "pending",
        "flags": [],
    }
    got = {
        "id": visit.id,
        "author_id": visit.author_id,
        "visited_at": visit.visited_at,
        "area_code": visit.area_code,
        "target_groups": set(visit.target_groups),
        "activity": visit.activity,
        "households_visited": visit.households_visited,
        "people_reached": visit.people_reached,
        "summary": visit.summary,
        "needs": visit.needs,
        "follow_up_needed": visit.follow_up_needed,
        "review_status": str(visit.review_status),
        "flags": visit.flags,
    }
    for field, value in wanted.items():
        check(got[field] == value, f"the visit's {field}: expected {value!r}", got[field])
    check(
        (visit.location.lat, visit.location.lon) == (18.7883, 98.9853),
        "the visit's location",
        visit.location.to_dict(),
    )
    check(
        [(p.id, p.content_type, p.bytes_, p.sha256) for p in visit.photos]
        == [(photo.id, "image/jpeg", len(jpeg), photo.sha256)],
        "the visit lists its one photo",
        [p.to_dict() for p in visit.photos],
    )

    stored = expect(visits_get_photo.sync_detailed(visit_id, photo.id, client=volunteer), 200, "download the photo")
    check(isinstance(stored, File), "visits_get_photo answers a File", stored)
    check(stored.payload.read() == jpeg, "the downloaded photo is the bytes uploaded")

    page = expect(visits_list.sync_detailed(client=volunteer), 200, "list one's visits")
    check(
        [(v.id, type(v)) for v in page.items] == [(visit_id, Visit)],
        "visits_list holds the visit, as a Visit",
        [(v.id, type(v).__name__) for v in page.items],
    )

    # An office onboards its volunteers from the spreadsheet it keeps them in.
    sheet_username = f"volunteer.{uuid.uuid4().hex[:8]}"
    book = openpyxl.Workbook()
    book.active.append(["username", "display_name", "role", "area_code", "phone"])
    book.active.append([sheet_username, "สมศรี ใจดี", "อาสาสมัครพัฒนาสังคมและความมั่นคงของมนุษย์ (อพม.)", 500102, "0812345679"])
    spreadsheet = io.BytesIO()
    book.save(spreadsheet)
    answer = expect(
        users_import.sync_detailed(
            client=admin,
            body=File(payload=spreadsheet.getvalue(), file_name="volunteers.xlsx"),
        ),
        200,
        "import the volunteers' spreadsheet",
    )
    check(isinstance(answer, ImportAnswer), "users_import answers an ImportAnswer", answer)
    rows = [(r.row, r.username, r.status) for r in answer.results]
    check(rows == [(2, sheet_username, 201)], "the one row is a new account", rows)
    imported = answer.results[0]
    check(imported.user.role == Role.VOLUNTEER and imported.user.area_code == "500102", "the imported account", imported.user)
    first_sign_in, _ = login(sheet_username, imported.temporary_password)
    check(first_sign_in.password_change_required is True, "a one-time password must be changed", first_sign_in)

    print(
        f"client smoke test passed: visit {visit_id} with photo {photo.id} ({len(jpeg)} bytes), "
        f"account {sheet_username} imported from XLSX"
    )


if __name__ == "__main__":
    main()
