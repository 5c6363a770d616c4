"""Station codes in their canonical form (stations/codes.py): digits-only codes zero-padded
to four digits (``1`` → ``0001``, ``00012`` → ``0012``), other codes in upper case.

Before this, a code typed as a number (``1`` for ``0001``) could create a second station.
Where two stations of one county and election would get the same code, neither is changed
and the pair is printed: which one reports and cases meant is a person's decision, and the
importer refuses that code until they are merged or renumbered.  The search key is
recomputed with the code.
"""

from django.db import migrations

from amanat.lib.persian import search_key

WIDTH = 4  # stations.codes.STATION_CODE_WIDTH when this was written


def canonical(code: str) -> str:
    code = code.strip()
    if code.isascii() and code.isdigit():
        return str(int(code)).zfill(WIDTH)
    return code.upper() if code.isascii() else code


def forwards(apps, schema_editor):
    Station = apps.get_model("stations", "Station")
    rows = list(Station.objects.values_list("pk", "election_id", "county_id", "code", "name"))
    taken = {(e, c, code) for _pk, e, c, code, _name in rows}
    wanted: dict[tuple[int, int, str], list[tuple[int, str, str]]] = {}
    for pk, election_id, county_id, code, name in rows:
        new = canonical(code)
        if new != code:
            wanted.setdefault((election_id, county_id, new), []).append((pk, code, name))
    changed = []
    for key, stations in wanted.items():
        if key in taken or len(stations) > 1:
            codes = ", ".join(code for _pk, code, _name in stations)
            print(f"\n  stations: county id {key[1]}, election id {key[0]}: codes {codes} all "
                  f"mean {key[2]}; left unchanged, merge or renumber them")
            continue
        pk, _code, name = stations[0]
        changed.append(Station(pk=pk, code=key[2],
                               search_text=f"{search_key(key[2])}|{search_key(name)}"[:255]))
    Station.objects.bulk_update(changed, ["code", "search_text"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [("stations", "0002_search_text_and_list_indexes")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
