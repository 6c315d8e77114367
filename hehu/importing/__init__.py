"""Import registers from Excel and CSV: find the header, read what people wrote, validate, write.

Real registers are messy: a title above the header, several sheets, headers that say 名字 where the
template says 姓名, full-width digits, dates as 2022年5月18日 or Excel serials, villages by name.
The modules, each importing only the ones above it:

- `cells`: reading one cell (`parse_number`, `parse_date`, `parse_vocab`, …);
- `kinds`: the kinds of record, their columns and synonyms (`KIND_SPECS`);
- `headers`: finding a sheet's header row and kind (`detect_header`, `match_header`);
- `workbook`: reading .xlsx/.xls/.ods/.csv files into rows (control characters dropped), after
  checking what a file would unpack to (spreadsheet bombs refused); upload checks;
- `resolve`: places and organisations by code or name (an unknown or ambiguous name is an
  error, never a guess);
- `templates`: the .xlsx templates, and safe export of frames to xlsx and csv;
- `report`: the import report and the quarantine workbook of rejected rows;
- `rows`: row builders (names and ID-card numbers become pseudonymous IDs and are dropped);
- `engine`: the run itself, every valid row written in ONE transaction (`import_file`);
- `cli`: the `hehu template` and `hehu import` commands.
"""

from hehu.importing.engine import import_file
from hehu.importing.kinds import KIND_SPECS, resolve_kind
from hehu.importing.report import ImportReport

__all__ = ["KIND_SPECS", "ImportReport", "import_file", "resolve_kind"]
