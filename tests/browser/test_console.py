#!/usr/bin/env python3
"""End-to-end browser tests of the web console (/console/), run by
scripts/console-browser.sh against a server holding fresh demo data.

Plain Python with Playwright (sync API) driving Debian's chromium; a tiny runner runs
every `test_*` function in order, prints PASS/FAIL with the reason, and exits 1 on any
failure. Usage:

    python3 tests/browser/test_console.py --base http://127.0.0.1:8080 \
        --engine sqlite --out target/console-screenshots [-k name]
"""

import argparse
import os
import re
import subprocess
import sys
import time
import traceback
from pathlib import Path
from urllib.parse import urlparse, parse_qs

from playwright.sync_api import sync_playwright

PASSWORD = "demo password 2026"
SUPERVISOR = "demo.sup.50"
OFFICIAL = "demo.off.50.1"
VOLUNTEER = "demo.vol.50.1"
ADMIN = "demo.admin"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
TABS = ["open", "overdue", "due_soon", "unassigned", "mine", "all"]
TIMEOUT_MS = 15_000

ROOT = Path(__file__).resolve().parents[2]
AXE_PATH = ROOT / "src/console/assets/vendor/axe-core/axe.min.js"


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


class Run:
    """What every test shares: the browser, the server's address, where screenshots go,
    and what the pages reported (console errors, axe violations)."""

    def __init__(self, browser, base, engine, out):
        self.browser = browser
        self.base = base.rstrip("/")
        self.engine = engine
        self.out = Path(out)
        self.out.mkdir(parents=True, exist_ok=True)
        self.axe_source = AXE_PATH.read_text(encoding="utf-8")
        self.console_errors = {}  # page object id -> list of messages
        self.violations = []  # (page name, id, impact, nodes, help)
        self.contexts = []
        self.official_name = None

    def url(self, path):
        return self.base + path

    def context(self, **options):
        options.setdefault("viewport", {"width": 1366, "height": 900})
        options.setdefault("locale", "th-TH")
        context = self.browser.new_context(**options)
        context.set_default_timeout(TIMEOUT_MS)
        self.contexts.append(context)
        return context

    def page(self, context):
        page = context.new_page()
        errors = []
        self.console_errors[id(page)] = errors
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append("pageerror: %s" % e))
        return page

    def close_all(self):
        for context in self.contexts:
            try:
                context.close()
            except Exception:
                pass
        self.contexts = []

    def goto(self, page, path):
        response = page.goto(self.url(path))
        page.wait_for_load_state("networkidle")
        return response

    def sign_in(self, page, username, password=PASSWORD):
        """Fills the sign-in form; returns the response to the POST."""
        self.goto(page, "/console/login")
        page.fill("#username", username)
        page.fill("#password", password)
        with page.expect_response(
            lambda r: r.request.method == "POST" and "/console/login" in r.url
        ) as posted:
            page.click("form[action='/console/login'] button[type=submit]")
        page.wait_for_load_state("networkidle")
        return posted.value

    def supervisor(self, **options):
        context = self.context(**options)
        page = self.page(context)
        self.sign_in(page, SUPERVISOR)
        check(page.locator("h1").first.inner_text().strip() == "คิวเรื่องร้องทุกข์",
              "the supervisor did not land on the queue")
        return context, page

    def screenshot(self, page, name):
        page.screenshot(path=str(self.out / ("%s-%s.png" % (self.engine, name))), full_page=True)

    def csp_errors(self, page):
        return [m for m in self.console_errors.get(id(page), [])
                if "content security policy" in m.lower()]

    def axe(self, page):
        script = ("async () => {\n" + self.axe_source + "\n;\n"
                  "const r = await window.axe.run(document, {resultTypes: ['violations']});\n"
                  "return r.violations.map(v => ({id: v.id, impact: v.impact, "
                  "nodes: v.nodes.length, help: v.help, "
                  "targets: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));\n}")
        return page.evaluate(script)

    def audit(self, page, name):
        """The checks every page must pass: no CSP error in its console, no serious or
        critical axe violation; then a full-page screenshot."""
        page.wait_for_load_state("networkidle")
        problems = []
        violations = self.axe(page)
        for v in violations:
            self.violations.append((name, v["id"], v["impact"], v["nodes"], v["help"]))
            print("    axe %-12s %-9s %-28s nodes=%d %s %s" % (
                name, v["impact"], v["id"], v["nodes"], v["help"], v["targets"]))
        bad = [v for v in violations if v["impact"] in ("serious", "critical")]
        if bad:
            problems.append("axe on %s: %s" % (name, ", ".join(
                "%s (%s, %d nodes)" % (v["id"], v["impact"], v["nodes"]) for v in bad)))
        thrown = [m for m in self.console_errors.get(id(page), []) if m.startswith("pageerror")]
        if thrown:
            problems.append("script errors on %s: %s" % (name, thrown[:3]))
        csp = self.csp_errors(page)
        if csp:
            problems.append("CSP errors on %s: %s" % (name, csp[:3]))
        self.screenshot(page, name)
        return problems


# --- helpers on pages --------------------------------------------------------------

def query(page):
    return parse_qs(urlparse(page.url).query)


def wait_url(page, fragment):
    page.wait_for_function("f => location.href.includes(f)", arg=fragment, timeout=TIMEOUT_MS)


def tab_counts(page):
    counts = {}
    for name in TABS:
        text = page.locator("nav.tabs a[data-tab=%s] span.count" % name).inner_text().strip()
        check(re.fullmatch(r"\d+", text.replace(",", "")), "tab %s count is %r" % (name, text))
        counts[name] = int(text.replace(",", ""))
    return counts


def status_text(page):
    return page.locator("#case-status").inner_text().strip()


def version(page):
    return page.locator("form.action input[name=version]").first.get_attribute("value")


def act(page, action, fill=None):
    """Presses an action's button on a case page (htmx swaps the answer in) and returns
    the notice element's class and text."""
    form = page.locator("form.action[data-action=%s]" % action)
    check(form.count() == 1, "no %r action on %s (offered: %s)" % (
        action, page.url, offered(page)))
    if fill:
        fill(form)
    page.evaluate("() => { const n = document.getElementById('notice'); if (n) n.remove(); }")
    with page.expect_response(
        lambda r: r.request.method == "POST" and r.url.endswith("/actions")
    ) as answer:
        form.locator("button[type=submit]").click()
    page.wait_for_selector("#notice")
    page.wait_for_load_state("networkidle")
    notice = page.locator("#notice")
    return answer.value.status, notice.get_attribute("class"), notice.inner_text().strip()


def offered(page):
    forms = page.locator("form.action")
    return [forms.nth(i).get_attribute("data-action") for i in range(forms.count())]


# --- the tests ---------------------------------------------------------------------

def test_sign_in(run):
    context = run.context()
    page = run.page(context)
    run.goto(page, "/console/")
    check("/console/login" in page.url, "the queue did not lead to sign-in: %s" % page.url)
    check(page.get_attribute("html", "lang") == "th", "sign-in page is not Thai by default")
    problems = run.audit(page, "login")
    answer = run.sign_in(page, SUPERVISOR, "wrong password")
    check(answer.status == 401, "wrong password answered %d, not 401" % answer.status)
    check("ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง" in page.inner_text("body"),
          "wrong password did not show the message")
    run.sign_in(page, SUPERVISOR)
    h1 = page.locator("h1").first.inner_text().strip()
    check(h1 == "คิวเรื่องร้องทุกข์", "signed in, the page's h1 is %r" % h1)
    check(any(c["name"] == "fw_session" for c in context.cookies()), "no fw_session cookie")
    check(not problems, "; ".join(problems))


def test_volunteer_refused(run):
    context = run.context()
    page = run.page(context)
    answer = run.sign_in(page, VOLUNTEER)
    check("/console/login" in page.url or page.locator("#password").count() == 1,
          "the volunteer left the sign-in page: %s" % page.url)
    check("อาสาสมัคร" in page.inner_text("main"), "no word about volunteers on the page")
    check(answer.status >= 400, "volunteer sign-in answered %d" % answer.status)
    names = [c["name"] for c in context.cookies()]
    check("fw_session" not in names, "a session cookie was set: %s" % names)


def test_queue_tabs_and_filters(run):
    context, page = run.supervisor()
    run.goto(page, "/console/grievances")
    counts = tab_counts(page)
    print("    tab counts: %s" % counts)
    check(counts["all"] > 0, "the queue is empty")
    problems = run.audit(page, "queue")

    page.click("nav.tabs a[data-tab=overdue]")
    wait_url(page, "view=overdue")
    page.wait_for_selector("nav.tabs a[data-tab=overdue][aria-current=page]")
    page.wait_for_load_state("networkidle")
    rows = page.locator("table.queue tbody tr")
    if rows.count() == 0:
        check(page.locator("p.empty").count() == 1, "no rows and no empty message")
    for i in range(rows.count()):
        cls = rows.nth(i).get_attribute("class") or ""
        check("overdue" in cls.split(), "row %d of the overdue tab has class %r" % (i, cls))
    check(rows.count() > 0 or counts["overdue"] == 0, "overdue count > 0 but no rows")

    page.select_option("form.filter-form select[name=priority]", "urgent")
    page.click("form.filter-form button[type=submit]")
    wait_url(page, "priority=urgent")
    page.wait_for_selector("form.filter-form select[name=priority] option[value=urgent][selected]",
                           state="attached")
    page.wait_for_load_state("networkidle")
    check(query(page).get("view") == ["overdue"], "the filter lost the tab: %s" % page.url)
    priorities = page.locator("table.queue tbody tr .priority")
    for i in range(priorities.count()):
        cls = priorities.nth(i).get_attribute("class") or ""
        check("p-urgent" in cls.split(), "row %d priority class %r" % (i, cls))
    total = int(page.locator("span.total").get_attribute("data-total"))
    filtered = tab_counts(page)
    check(total == filtered["overdue"],
          "total %d != overdue tab count %d (tabs %s)" % (total, filtered["overdue"], filtered))
    check(total <= counts["overdue"], "urgent overdue %d > overdue %d" % (total, counts["overdue"]))

    bookmark = page.url
    run.goto(page, urlparse(bookmark).path + "?" + urlparse(bookmark).query)
    again = int(page.locator("span.total").get_attribute("data-total"))
    check(again == total, "the bookmark gives %d, not %d" % (again, total))
    check(page.locator("form.filter-form select[name=priority]").input_value() == "urgent",
          "the bookmark lost the priority filter")

    tablet = run.context(viewport={"width": 768, "height": 1024})
    tablet_page = run.page(tablet)
    tablet.add_cookies(context.cookies())
    run.goto(tablet_page, "/console/grievances")
    check(tablet_page.locator("nav.tabs").count() == 1, "tablet: no queue")
    tablet_page.screenshot(path=str(run.out / ("%s-queue-tablet.png" % run.engine)),
                           full_page=True)
    check(not problems, "; ".join(problems))


def test_case_lifecycle(run):
    # The official's display name, as the console shows it.
    official_ctx = run.context()
    official = run.page(official_ctx)
    run.sign_in(official, OFFICIAL)
    check(official.locator(".who strong").count() == 1,
          "the official could not sign in (%s)" % official.url)
    name = official.locator(".who strong").inner_text().strip()
    run.official_name = name

    # A submitted case in the official's own area (an assignee must cover the case's
    # area), found in the official's queue.
    run.goto(official, "/console/grievances?view=all&status=submitted")
    check(official.locator("table.queue tbody tr a").count() > 0,
          "the official's queue holds no submitted case")
    href = official.locator("table.queue tbody tr a").first.get_attribute("href")

    context, page = run.supervisor()
    run.goto(page, "/console/grievances?view=all&status=submitted")
    link = page.locator("table.queue tbody tr a[href='%s']" % href)
    if link.count() == 0:  # not on the supervisor's first page: open it directly
        run.goto(page, href)
    else:
        link.first.click()
    wait_url(page, href)
    page.wait_for_selector("#case-status")
    page.wait_for_load_state("networkidle")
    problems = run.audit(page, "case")

    status, cls, text = act(page, "accept")
    check("ok" in cls.split(), "accept: notice %r %r (HTTP %d)" % (cls, text, status))
    check(status_text(page) == "รับเรื่องแล้ว", "after accept the status is %r" % status_text(page))

    def choose_official(form):
        select = form.locator("select[name=assignee_id]")
        options = select.locator("option")
        labels = [options.nth(i).inner_text().strip() for i in range(options.count())]
        match = [i for i, label in enumerate(labels) if name in label]
        check(match, "the official %r is not among the assignees %s" % (name, labels[:10]))
        select.select_option(index=match[0])

    status, cls, text = act(page, "assign", choose_official)
    check("ok" in cls.split(), "assign: notice %r %r (HTTP %d)" % (cls, text, status))
    check(name in page.locator("#case-assignee").inner_text(), "the assignee is not shown")

    run.goto(official, href)
    status, cls, text = act(official, "start")
    check("ok" in cls.split(), "start: notice %r %r (HTTP %d)" % (cls, text, status))
    status, cls, text = act(
        official, "resolve",
        lambda f: f.locator("textarea[name=note]").fill("ซ่อมแซมเรียบร้อยแล้ว (ทดสอบ)"))
    check("ok" in cls.split(), "resolve: notice %r %r (HTTP %d)" % (cls, text, status))

    run.goto(page, href)
    status, cls, text = act(page, "close")
    check("ok" in cls.split(), "close: notice %r %r (HTTP %d)" % (cls, text, status))
    check(status_text(page) == "ปิดเรื่อง", "after close the status is %r" % status_text(page))
    run.goto(page, href)
    check(status_text(page) == "ปิดเรื่อง", "reloaded, the status is %r" % status_text(page))
    check(not problems, "; ".join(problems))


def test_concurrent_edit(run):
    context, a = run.supervisor()
    run.goto(a, "/console/grievances?view=all&status=submitted")
    href = a.locator("table.queue tbody tr a").nth(1).get_attribute("href")
    b = run.page(context)
    run.goto(a, href)
    run.goto(b, href)
    before = status_text(b)

    def other_priority(form):
        select = form.locator("select[name=priority]")
        current = select.input_value()
        values = [v for v in select.locator("option").evaluate_all("os => os.map(o => o.value)")
                  if v and v != current]
        check(values, "no other priority to choose")
        select.select_option(values[0])

    status, cls, text = act(a, "set_priority", other_priority)
    check("ok" in cls.split(), "page A: notice %r %r (HTTP %d)" % (cls, text, status))
    status, cls, text = act(b, "set_priority", other_priority)
    check("bad" in cls.split(), "page B: notice %r %r (HTTP %d)" % (cls, text, status))
    check("ถูกแก้ไขโดยผู้อื่น" in text, "page B's notice says %r" % text)
    check(status in (409, 412), "page B answered HTTP %d" % status)
    check(status_text(b) == before, "page B shows status %r, not %r" % (status_text(b), before))
    check(version(b) == version(a), "page B shows version %s, page A %s" % (version(b), version(a)))


def bulk(run, page, action, pick=None):
    """Ticks the first two cases of the list, applies `action` to them (choosing with
    `pick` on the form first), and returns each outcome row's class and text."""
    boxes = page.locator("table.queue tbody input[name=id]")
    check(boxes.count() >= 2, "fewer than two cases to %s" % action)
    boxes.nth(0).check()
    boxes.nth(1).check()
    page.select_option("select#bulk-action", action)
    if pick:
        pick(page)
    with page.expect_response(lambda r: r.request.method == "POST" and "/bulk" in r.url) as answer:
        page.click("fieldset.bulk button[type=submit]")
    page.wait_for_selector("table.outcomes")
    page.wait_for_load_state("networkidle")
    rows = page.locator("table.outcomes tbody tr")
    classes = [rows.nth(i).get_attribute("class") for i in range(rows.count())]
    details = [rows.nth(i).inner_text().replace("\n", " ").strip() for i in range(rows.count())]
    check(len(classes) == 2, "%d outcome rows (HTTP %d): %s" % (len(classes), answer.value.status, details))
    check(all(c in ("ok", "bad") for c in classes), "outcome classes %s" % classes)
    return classes, details


def test_bulk_assign(run):
    """The supervisor accepts two new cases at once, then assigns two accepted ones."""
    context, page = run.supervisor()
    run.goto(page, "/console/grievances?view=unassigned&status=submitted")
    classes, details = bulk(run, page, "accept")
    check(classes == ["ok", "ok"], "the new cases were not accepted: %s" % details)

    run.goto(page, "/console/grievances?view=unassigned&status=accepted")

    def choose_myself(page):
        select = page.locator("fieldset.bulk select[name=assignee_id]")
        values = select.locator("option").evaluate_all("os => os.map(o => [o.value, o.text])")
        # The supervisor covers the whole province, so can carry any case in it.
        me = page.locator(".who strong").inner_text().strip()
        choice = [v for v, t in values if v and me in t] or [v for v, _ in values if v]
        check(choice, "no assignee to choose in the bulk form")
        select.select_option(choice[0])

    classes, details = bulk(run, page, "assign", choose_myself)
    check("ok" in classes, "no assignment succeeded: %s" % details)
    problems = run.audit(page, "bulk")
    check(not problems, "; ".join(problems))


def test_csrf(run):
    context, page = run.supervisor()
    run.goto(page, "/console/grievances?view=all&status=submitted")
    href = page.locator("table.queue tbody tr a").nth(2).get_attribute("href")
    run.goto(page, href)
    before = (status_text(page), version(page))
    answer = context.request.post(run.url(href + "/actions"),
                                  form={"action": "accept", "version": before[1]},
                                  max_redirects=0)
    check(answer.status == 403, "a POST without a CSRF token answered %d" % answer.status)
    run.goto(page, href)
    after = (status_text(page), version(page))
    check(after == before, "the case changed: %s -> %s" % (before, after))
    # The same with a wrong token, in the header.
    answer = context.request.post(run.url(href + "/actions"),
                                  form={"action": "accept", "version": before[1]},
                                  headers={"X-CSRF-Token": "not-the-token"}, max_redirects=0)
    check(answer.status == 403, "a POST with a wrong CSRF token answered %d" % answer.status)


def test_language(run):
    context, page = run.supervisor()
    run.goto(page, "/console/grievances")
    link = page.locator("a.lang")
    check(link.inner_text().strip() == "English", "the language link says %r" % link.inner_text())
    link.click()
    page.wait_for_selector("html[lang=en]", state="attached")
    page.wait_for_load_state("networkidle")
    h1 = page.locator("h1").first.inner_text().strip()
    check(h1 == "Grievance queue", "English h1 is %r" % h1)
    problems = run.audit(page, "english-queue")
    run.goto(page, "/console/deadlines")
    check(page.get_attribute("html", "lang") == "en", "English did not persist to /deadlines")
    page.locator("a.lang").click()
    page.wait_for_selector("html[lang=th]", state="attached")
    run.goto(page, "/console/grievances")
    check(page.get_attribute("html", "lang") == "th", "could not switch back to Thai")
    check(not problems, "; ".join(problems))


def test_pages(run):
    context, page = run.supervisor()
    problems = []
    for name, path, ready in [
        ("deadlines", "/console/deadlines", "h1"),
        ("workload", "/console/workload", "h1"),
        ("map", "/console/map?view=open", "#map-count[data-count]"),
        ("visits", "/console/visits", "h1"),
        ("plans", "/console/plans", "table.plans-people"),
        ("users", "/console/users", "table.users"),
        ("dashboard-province", "/console/dashboard", "table.sub-areas"),
    ]:
        p = run.page(context)
        answer = run.goto(p, path)
        if answer.status != 200:
            problems.append("%s answered %d" % (path, answer.status))
        try:
            p.wait_for_selector(ready, state="attached", timeout=8000)
        except Exception as e:
            problems.append("%s: %s never appeared (%s)" % (name, ready, str(e).splitlines()[0]))
        if name == "map":
            count = p.locator("#map-count").get_attribute("data-count")
            print("    map count: %s" % count)
        problems += run.audit(p, name)
        p.close()
    check(not problems, "; ".join(problems))


def official(run):
    context = run.context()
    page = run.page(context)
    run.sign_in(page, OFFICIAL)
    return context, page


def test_dashboard(run):
    """An official reads its area's week, drills down to a sub-area and back in time,
    and follows a figure to its records."""
    context, page = official(run)
    run.goto(page, "/console/dashboard")
    heading = page.locator("h1").first.inner_text().strip()
    check(heading.startswith("ภาพรวมประจำสัปดาห์"), "dashboard heading %r" % heading)
    cards = page.locator(".cards.figures a.card")
    check(cards.count() == 12, "%d figure cards" % cards.count())
    trend = page.locator("section[aria-labelledby=trend-h] figure.bars").first.locator("li")
    check(trend.count() == 13, "the trend has %d weeks, not 13" % trend.count())
    visits = int(cards.first.locator(".big").inner_text().strip())
    this_week = trend.last.locator(".n").inner_text().strip()
    check(str(visits) == this_week, "the trend's last week (%s) is not the week's %d visits"
          % (this_week, visits))
    rows = page.locator("table.sub-areas tbody tr")
    check(rows.count() >= 1, "no sub-area rows")
    # The map draws each sub-area over its real boundary, coloured by compliance.
    page.wait_for_selector(".dashboard-map[data-drawn]", state="attached")
    drawn = int(page.locator(".dashboard-map").get_attribute("data-drawn"))
    polygons = page.locator(".dashboard-map path.leaflet-interactive").count()
    check(drawn >= 1 and polygons >= 1, "the map drew %d layers, %d paths" % (drawn, polygons))
    problems = run.audit(page, "dashboard")

    # One level down: the sub-area's own dashboard, its crumb trail one longer.
    crumbs_before = page.locator("nav.crumbs li").count()
    target = rows.first.get_attribute("data-area")
    rows.first.locator("a").click()
    wait_url(page, "area=" + target)
    page.wait_for_load_state("networkidle")
    check(page.locator("nav.crumbs li").count() >= crumbs_before,
          "drilling down lost the crumb trail")
    # A week back.
    week = query(page).get("week", [""])[0]
    page.locator("a[rel=prev]").click()
    page.wait_for_function("w => !location.href.includes(w)", arg="week=" + week)
    page.wait_for_load_state("networkidle")
    check(page.locator(".cards.figures a.card").count() == 12, "the earlier week has no figures")

    # A figure leads to its records: the week's visits of that area.
    run.goto(page, "/console/dashboard")
    page.locator(".cards.figures a.card").first.click()
    wait_url(page, "/console/visits")
    page.wait_for_load_state("networkidle")
    listed = page.locator("article.visit").count()
    check(listed == min(visits, 100), "the visits figure says %d, its page lists %d"
          % (visits, listed))
    check(page.locator("form.review").count() == 0, "an official was offered a review form")
    problems += run.audit(page, "dashboard-visits")

    # Another province is refused, not narrowed.
    answer = run.goto(page, "/console/dashboard?area=57")
    check(answer.status == 403, "another province answered %d" % answer.status)
    check(not problems, "; ".join(problems))


def test_printed_report(run):
    """The weekly report prints on a few A4 pages with Thai text: the PDF the browser
    makes from the same page is turned into a PNG and must not be blank."""
    context, page = official(run)
    run.goto(page, "/console/dashboard")
    with page.expect_navigation():
        page.locator(".week-nav a.button").click()
    page.wait_for_load_state("networkidle")
    heading = page.locator("h1").first.inner_text().strip()
    check(heading == "รายงานผลการลงพื้นที่ประจำสัปดาห์", "report heading %r" % heading)
    check(page.locator("table.figures tr").count() == 12, "the report lacks its figures")
    page.wait_for_selector(".dashboard-map[data-drawn]", state="attached")
    problems = run.audit(page, "report")
    page.emulate_media(media="print")
    check(not page.locator("button[data-print]").is_visible(),
          "the print button is printed")
    pdf = run.out / ("%s-report.pdf" % run.engine)
    page.pdf(path=str(pdf), format="A4", print_background=True)
    pages = int(re.search(rb"/Count (\d+)", pdf.read_bytes()).group(1))
    check(1 <= pages <= 3, "the report prints on %d pages, not 1 to 3" % pages)
    stem = run.out / ("%s-report-page" % run.engine)
    subprocess.run(["pdftoppm", "-r", "50", "-f", "1", "-l", "1", "-png", str(pdf), str(stem)],
                   check=True)
    subprocess.run(["pdftoppm", "-r", "50", "-f", "1", "-l", "1", "-gray", str(pdf), str(stem)],
                   check=True)
    pgm = next(run.out.glob("%s-report-page*.pgm" % run.engine))
    width, height, pixels = read_pgm(pgm)
    ink = sum(1 for value in pixels if value < 128)
    check(ink > width * height // 200, "page 1 is nearly blank (%d dark pixels)" % ink)
    text = subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(pdf), "-"],
                          capture_output=True, check=True).stdout.decode("utf-8")
    check("รายงาน" in text and "2569" in text,
          "the PDF's text lacks the Thai title or the year: %r" % text[:200])
    pgm.unlink()
    print("    report: %d page(s), %d dark pixels on page 1" % (pages, ink))

    # The same page as the server prints it (its own headless chromium).
    page.emulate_media(media="screen")
    with page.expect_download(timeout=90_000) as download:
        page.click("#report-pdf")
    served = run.out / ("%s-report-server.pdf" % run.engine)
    download.value.save_as(str(served))
    served_pages = int(re.search(rb"/Count (\d+)", served.read_bytes()).group(1))
    check(1 <= served_pages <= 3, "the server's PDF has %d pages, not 1 to 3" % served_pages)
    served_text = subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(served), "-"],
                                 capture_output=True, check=True).stdout.decode("utf-8")
    check("รายงานผลการลงพื้นที่ประจำสัปดาห์" in served_text and "2569" in served_text,
          "the server's PDF lacks the Thai title or the year: %r" % served_text[:200])
    subprocess.run(["pdftoppm", "-r", "50", "-f", "1", "-l", "1", "-png", str(served),
                    str(run.out / ("%s-report-server-page" % run.engine))], check=True)
    print("    the server's PDF: %d page(s)" % served_pages)
    check(not problems, "; ".join(problems))


def read_pgm(path):
    """Width, height and pixel values of a binary (P5) PGM file."""
    data = path.read_bytes()
    fields = []
    position = 0
    while len(fields) < 4:
        while data[position:position + 1].isspace():
            position += 1
        if data[position:position + 1] == b"#":
            position = data.index(b"\n", position) + 1
            continue
        end = position
        while not data[end:end + 1].isspace():
            end += 1
        fields.append(data[position:end])
        position = end
    check(fields[0] == b"P5", "not a binary PGM: %r" % fields[0])
    width, height = int(fields[1]), int(fields[2])
    return width, height, data[position + 1:position + 1 + width * height]


def test_administration(run):
    """An administrator onboards accounts from a file and one by one, the new official's
    first sign-in asks for its own password, the audit log holds it all and its chain
    checks out, and the webhook outbox says whether events are sent."""
    context = run.context()
    page = run.page(context)
    run.sign_in(page, ADMIN)
    problems = []

    sheet = run.out / ("%s-onboarding.csv" % run.engine)
    sheet.write_text(
        "username,display_name,role,area_code,phone\n"
        "onboard.off,ประภา ศรีสุข,เจ้าหน้าที่,500101,0812223333\n"
        "onboard.vol,วิชัย ทองคำ,volunteer,500102,\n"
        "bad name!,ผิด,volunteer,999999,\n",
        encoding="utf-8")
    run.goto(page, "/console/users")
    page.click("#import-accounts >> xpath=.. >> summary")
    page.set_input_files("#import-accounts input[type=file]", str(sheet))
    page.click("#import-accounts button[value=page]")
    page.wait_for_selector("table.import")
    counts = {k: page.locator("[data-count=%s] .big" % k).inner_text() for k in
              ("created", "unchanged", "refused")}
    check(counts == {"created": "2", "unchanged": "0", "refused": "1"}, "import counts: %s" % counts)
    first = page.locator("table.import tr[data-row='2']")
    check("onboard.off" in first.inner_text(), "row 2 is the official: %s" % first.inner_text())
    temporary = first.locator("code.temporary-password").inner_text().strip()
    check(re.fullmatch(r"[a-z2-9]{4}(-[a-z2-9]{4}){3}", temporary), "a one-time password: %r" % temporary)
    problems += run.audit(page, "users-import")

    page.click("#create-account >> xpath=.. >> summary")
    page.fill("#create-account input[name=username]", "onboard.one")
    page.fill("#create-account input[name=display_name]", "สมใจ รักดี")
    page.fill("#create-account input[name=area_code]", "500103")
    page.click("#create-account button[type=submit]")
    # The import's notice is there until htmx swaps in the answer.
    page.locator("#notice", has_text="สร้างบัญชีแล้ว").wait_for()
    notice = page.inner_text("#notice")
    check("สร้างบัญชีแล้ว" in notice and "onboard.one" in notice, "created: %s" % notice)

    # The imported official's first sign-in leads to choosing its own password.
    newcomer = run.page(run.context())
    run.sign_in(newcomer, "onboard.off", temporary)
    check("/console/password" in newcomer.url, "first sign-in went to %s" % newcomer.url)

    run.goto(page, "/console/audit?action=user.created")
    rows = page.locator("table.audit tbody tr")
    names = page.locator("table.audit td.details").all_inner_texts()
    check(rows.count() == 3 and all("onboard." in n for n in names),
          "the three new accounts are audited: %s" % names)
    page.click("#verify-chain button")
    page.wait_for_selector("#notice.ok")
    check("ห่วงโซ่บันทึกครบถ้วน" in page.inner_text("#notice"), page.inner_text("#notice"))
    problems += run.audit(page, "audit")

    run.goto(page, "/console/outbox")
    check(page.locator("[data-figure=waiting] .big").inner_text() == "0", "nothing waits")
    problems += run.audit(page, "outbox")
    check(not problems, "; ".join(problems))


def test_household_register(run):
    """A supervisor works the due follow-ups: opens the longest overdue household, reads
    its timeline with numbers masked, follows it to the visits, and finds the family
    again by name in the register."""
    context, page = run.supervisor()
    run.goto(page, "/console/households")
    rows = page.locator("table.households tbody tr")
    check(rows.count() > 0, "no household is due in the demo data")
    check("เลยกำหนด" in rows.first.inner_text(), "the first due household is not overdue")
    problems = run.audit(page, "households-due")
    page.locator("table.households tbody tr th a").first.click()
    page.wait_for_selector("ol.household-timeline li")
    check(page.locator("ol.household-timeline li.visit").count() > 0,
          "the household's timeline shows no visit")
    check(page.locator("#next-visit-due .late").count() == 1,
          "the household page does not say it is overdue")
    text = page.locator("main").inner_text()
    check(not re.search(r"\b\d{13}\b", text), "a national ID is shown unmasked")
    name = page.locator("table.members tbody th").first.inner_text().strip()
    household = page.url.rsplit("/", 1)[-1]
    problems += run.audit(page, "household")
    page.locator("a[href^='/console/visits?household=']").first.click()
    page.wait_for_selector("article.visit")
    check(page.locator("article.visit a.household-link[href='/console/households/%s']"
                       % household).count() == page.locator("article.visit").count(),
          "a visit card does not lead back to its household")
    if name and name != "–":
        run.goto(page, "/console/households?view=all")
        page.fill("input[name=q]", name.split()[0])
        page.click("form.filters button[type=submit]")
        wait_url(page, "q=")
        page.wait_for_load_state("networkidle")
        check(page.locator("tr[data-household='%s']" % household).count() == 1,
              "searching the register by %s did not find the household" % name)
    check(not problems, "; ".join(problems))


TESTS = [test_sign_in, test_volunteer_refused, test_queue_tabs_and_filters,
         test_case_lifecycle, test_concurrent_edit, test_bulk_assign, test_csrf,
         test_language, test_pages, test_dashboard, test_printed_report, test_administration,
         test_household_register]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--engine", default="sqlite")
    parser.add_argument("--out", default="target/console-screenshots")
    parser.add_argument("-k", default="", help="run only tests whose name contains this")
    args = parser.parse_args()

    failures = 0
    started = time.monotonic()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        run = Run(browser, args.base, args.engine, args.out)
        for test in TESTS:
            if args.k not in test.__name__:
                continue
            t0 = time.monotonic()
            try:
                test(run)
                print("PASS %s (%.1fs)" % (test.__name__, time.monotonic() - t0), flush=True)
            except Failure as e:
                failures += 1
                print("FAIL %s: %s" % (test.__name__, e), flush=True)
            except Exception as e:
                failures += 1
                print("FAIL %s: %s: %s" % (test.__name__, type(e).__name__, e), flush=True)
                traceback.print_exc(limit=3)
            finally:
                run.close_all()
        browser.close()
    serious = [v for v in run.violations if v[2] in ("serious", "critical")]
    print("[%s] %d failure(s), %d axe violation(s) (%d serious/critical) in %.0fs" % (
        args.engine, failures, len(run.violations), len(serious), time.monotonic() - started))
    for name, rule, impact, nodes, help_text in run.violations:
        print("  axe %s: %s (%s, %d nodes) %s" % (name, rule, impact, nodes, help_text))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
