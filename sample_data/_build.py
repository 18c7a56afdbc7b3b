#!/usr/bin/env python3
"""Build the AidLedger sample data set (standard library only, deterministic).

    python sample_data/_build.py          # writes every CSV next to this file, then checks them

The data is built from the partnership stories in DESIGN.md section 1 (Prague's medical
consignment to Kyiv, Wrocław's aid to Lviv, Kyoto-Kyiv and Prague-Kyoto twinning, Taipei's help
routed through Prague, Helsinki / Brussels / Dublin agreements with Kyiv) and carries the
deliberate scenarios listed in README.md (short, damaged, excess, held at customs, in transit,
never shipped, partial deliveries, over-pledge, unpledged, expiry write-off, transfers).

Pledges, shipments, customs events, receipts, transfers and write-offs are written out by hand
below. Distributions are planned by a small deterministic planner (a share of each receipt goes
to the recipient's hospitals, utilities and schools a few days / weeks later, plus a clearance of
every lot before it expires) that books them against a stock simulation, so they never exceed
what is on hand. After writing, `verify()` reads the CSV files back and re-checks everything
independently: receipts never exceed what is in transit, receipts only after customs release,
stock per warehouse / item / lot never negative with FEFO picking (earliest expiry, then oldest
dispatch; checked with a second tie-break too), no expired lot handed out, and every scenario.
"""

# ruff: noqa: S311 - hand-laid data tables; seeded random numbers make sample data, not secrets
from __future__ import annotations

import csv
import datetime as dt
import itertools
import math
import random
import re
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

OUT = Path(__file__).resolve().parent
FX_START = dt.date(2022, 3, 1)
END = dt.date(2024, 12, 31)  # last day covered by rates; nothing expired may lie in stock then
EVENTS_END = dt.date(2024, 10, 31)  # the data set's "today": no event after this date
AHARS_FROM = dt.date(2023, 12, 1)  # shipments from this date carry a humanitarian-aid code
CODE_RE = re.compile(r"^[A-Za-z0-9._-]+$")

# The tables below are laid out by hand: keep the formatter away from this file.
# fmt: off


def D(s: str) -> dt.date:
    return dt.date.fromisoformat(s)


# =============================================================================== master data

DONOR_CURRENCY = {
    "PRAGUE": "CZK",
    "WROCLAW": "PLN",
    "HELSINKI": "EUR",
    "BRUSSELS": "EUR",
    "DUBLIN": "EUR",
    "KYOTO": "JPY",
    "TAIPEI": "TWD",
}

# code, name, kind, country, name_local, registry_id, aid_register_no, parent recipient, settlement
# Ukrainian registry numbers (EDRPOU-like) and register numbers are INVENTED for the sample.
PARTIES = [
    ("PRAGUE", "City of Prague", "city", "CZ", "Hlavní město Praha", "", "", "", "Praha"),
    ("WROCLAW", "City of Wrocław", "city", "PL", "Gmina Wrocław", "", "", "", "Wrocław"),
    ("HELSINKI", "City of Helsinki", "city", "FI", "Helsingin kaupunki", "", "", "", "Helsinki"),
    ("BRUSSELS", "City of Brussels", "city", "BE", "Ville de Bruxelles / Stad Brussel", "", "",
     "", "Bruxelles"),
    ("DUBLIN", "Dublin City Council", "city", "IE", "Comhairle Cathrach Bhaile Átha Cliath", "",
     "", "", "Baile Átha Cliath"),
    ("KYOTO", "Kyoto City", "city", "JP", "京都市", "", "", "", "京都市"),
    ("TAIPEI", "Taipei City Government", "city", "TW", "臺北市政府", "", "", "", "臺北市"),
    # recipients
    ("KYIV", "Kyiv City State Administration", "municipal_body", "UA",
     "Київська міська державна адміністрація", "37401526", "UR-000417", "", "Київ"),
    ("LVIV", "Lviv City Council", "city", "UA", "Львівська міська рада", "36218475",
     "UR-000528", "", "Львів"),
    ("KHARKIV", "Kharkiv City Council", "city", "UA", "Харківська міська рада", "38162049",
     "UR-000613", "", "Харків"),
    # beneficiaries (acquirers) of Kyiv
    ("KYIV-HOSP-1", "Kyiv City Clinical Emergency Hospital", "hospital", "UA",
     "КНП «Київська міська клінічна лікарня швидкої медичної допомоги»", "41025873", "",
     "KYIV", "Київ"),
    ("KYIV-HOSP-2", "Kyiv City Children's Clinical Hospital No. 1", "hospital", "UA",
     "КНП «Київська міська дитяча клінічна лікарня № 1»", "41038216", "", "KYIV", "Київ"),
    ("KYIV-EMS", "Kyiv City Centre for Emergency Medical Care and Disaster Medicine", "hospital",
     "UA", "КНП «Київський міський центр екстреної медичної допомоги та медицини катастроф»",
     "41127504", "", "KYIV", "Київ"),
    ("KYIV-TEPLO", "Kyivteploenergo (municipal heat and power utility)", "communal_enterprise",
     "UA", "КП «Київтеплоенерго»", "40538421", "", "KYIV", "Київ"),
    ("KYIV-VODA", "Kyivvodokanal (municipal water utility)", "communal_enterprise", "UA",
     "ПрАТ «АК «Київводоканал»", "03327664", "", "KYIV", "Київ"),
    ("KYIV-RESCUE", "Kyiv City Emergency Rescue Service", "communal_enterprise", "UA",
     "КП «Київська міська аварійно-рятувальна служба»", "03360718", "", "KYIV", "Київ"),
    ("KYIV-SCH-1", "Kyiv Lyceum No. 142", "school", "UA", "Київський ліцей № 142", "26077531",
     "", "KYIV", "Київ"),
    ("KYIV-SOC", "Territorial Centre of Social Services, Pecherskyi district of Kyiv",
     "budget_institution", "UA",
     "Територіальний центр соціального обслуговування Печерського району м. Києва", "03191246",
     "", "KYIV", "Київ"),
    # beneficiaries of Lviv
    ("LVIV-HOSP-1", "First Territorial Medical Union of Lviv", "hospital", "UA",
     "КНП «Перше територіальне медичне об’єднання міста Львова»", "43204118", "", "LVIV",
     "Львів"),
    ("LVIV-VODA", "Lvivvodokanal (municipal water utility)", "communal_enterprise", "UA",
     "ЛМКП «Львівводоканал»", "03348471", "", "LVIV", "Львів"),
    ("LVIV-TEPLO", "Lvivteploenergo (municipal heat utility)", "communal_enterprise", "UA",
     "ЛМКП «Львівтеплоенерго»", "05506460", "", "LVIV", "Львів"),
    ("LVIV-SCH-1", "Lviv Secondary School No. 8", "school", "UA",
     "Львівська середня загальноосвітня школа № 8", "20812047", "", "LVIV", "Львів"),
    ("LVIV-SOC", "Lviv City Centre of Social Services", "budget_institution", "UA",
     "Львівський міський центр соціальних служб", "26357915", "", "LVIV", "Львів"),
    # beneficiaries of Kharkiv
    ("KHARKIV-HOSP-1", "Kharkiv City Clinical Hospital No. 17", "hospital", "UA",
     "КНП «Міська клінічна лікарня № 17» Харківської міської ради", "01998752", "", "KHARKIV",
     "Харків"),
    ("KHARKIV-TEPLO", "Kharkiv Heat Networks (municipal heat utility)", "communal_enterprise",
     "UA", "КП «Харківські теплові мережі»", "31557119", "", "KHARKIV", "Харків"),
    ("KHARKIV-VODA", "Kharkivvodokanal (municipal water utility)", "communal_enterprise", "UA",
     "КП «Харківводоканал»", "03361715", "", "KHARKIV", "Харків"),
    ("KHARKIV-SCH-1", "Kharkiv Lyceum No. 27", "school", "UA",
     "Харківський ліцей № 27 Харківської міської ради", "24343386", "", "KHARKIV", "Харків"),
    # carriers (invented companies)
    ("CARR-CZ-TRANSKARGO", "Transkargo Praha s.r.o.", "carrier", "CZ", "Transkargo Praha s.r.o.",
     "27418521", "", "", "Praha"),
    ("CARR-PL-TRANSODRA", "Trans-Odra Logistyka sp. z o.o.", "carrier", "PL",
     "Trans-Odra Logistyka sp. z o.o.", "8971854120", "", "", "Wrocław"),
    ("CARR-FI-POHJOLA", "Pohjolan Rahti Oy", "carrier", "FI", "Pohjolan Rahti Oy", "2874419-6",
     "", "", "Vantaa"),
    ("CARR-UA-ZAKHID", "Zakhidtrans LLC", "carrier", "UA", "ТОВ «Західтранс»", "39874125", "", "",
     "Львів"),
]
PARTY = {p[0]: p for p in PARTIES}
RECIPIENTS = ("KYIV", "LVIV", "KHARKIV")
# optional party columns read by the rules engine (CUS-001): the recipients are LSG bodies
ENTITY_TYPE = {"KYIV": "lsg_body", "LVIV": "lsg_body", "KHARKIV": "lsg_body"}

# party_a, party_b, kind, signed_on, areas.  Dates marked * in README are documented years with an
# illustrative day; the others are plausible, illustrative dates.
PARTNERSHIPS = [
    ("KYIV", "KYOTO", "twinning", "1971-09-07", "culture;education;humanitarian aid"),
    ("PRAGUE", "KYOTO", "twinning", "1996-04-23", "culture;tourism;heritage protection"),
    ("PRAGUE", "TAIPEI", "twinning", "2020-01-13", "culture;health;smart city"),
    ("KYIV", "PRAGUE", "cooperation", "2001-06-14", "municipal services;health;culture;humanitarian aid"),
    ("KYIV", "BRUSSELS", "friendly_relations", "1997-10-14", "culture;municipal services;humanitarian aid"),
    ("KYIV", "HELSINKI", "cooperation", "1996-11-26", "energy;municipal services;education"),
    ("KYIV", "DUBLIN", "memorandum", "2022-06-21", "humanitarian aid;health;reconstruction"),
    ("KYIV", "WROCLAW", "cooperation", "2022-11-24", "humanitarian aid;energy;economic recovery"),
    ("LVIV", "WROCLAW", "twinning", "2002-06-26", "culture;education;humanitarian aid;refugees"),
    ("KHARKIV", "WROCLAW", "joint_declaration", "2023-05-18", "humanitarian aid;energy;water supply"),
    ("KHARKIV", "BRUSSELS", "joint_declaration", "2023-02-20", "humanitarian aid;health"),
]

# code, name, unit, hs, category, tracks_expiry, name_uk, flags, kg per unit, units per package
ITEMS = [
    # medicines (expiry tracked)
    ("MED-PARACET-500", "Paracetamol 500 mg tablets, pack of 20", "pack", "300490", "medicine", True,
     "Парацетамол 500 мг, таблетки № 20", "", "0.02", 200),
    ("MED-IBUPROF-400", "Ibuprofen 400 mg tablets, pack of 30", "pack", "300490", "medicine", True,
     "Ібупрофен 400 мг, таблетки № 30", "", "0.03", 200),
    ("MED-AMOXI-500", "Amoxicillin 500 mg capsules, pack of 16", "pack", "300410", "medicine", True,
     "Амоксицилін 500 мг, капсули № 16", "", "0.03", 200),
    ("MED-CEFTRIAX-1G", "Ceftriaxone 1 g powder for solution for injection, vial", "pcs", "300420",
     "medicine", True, "Цефтріаксон 1 г, порошок для розчину для ін’єкцій, флакон", "", "0.015", 500),
    ("MED-INSULIN-HUM", "Human insulin 100 IU/ml, 10 ml vial", "pcs", "300431", "medicine", True,
     "Інсулін людський 100 МО/мл, флакон 10 мл", "", "0.03", 100),
    ("MED-NACL-500", "Sodium chloride 0.9% solution for infusion, 500 ml bottle", "pcs", "300490",
     "medicine", True, "Натрію хлорид 0,9 %, розчин для інфузій, пляшка 500 мл", "", "0.55", 20),
    ("MED-TXA-500", "Tranexamic acid 100 mg/ml, 5 ml ampoules, pack of 10", "pack", "300490",
     "medicine", True, "Транексамова кислота 100 мг/мл, ампули 5 мл № 10", "", "0.08", 100),
    ("MED-LIDOC-2", "Lidocaine hydrochloride 2%, 2 ml ampoules, pack of 10", "pack", "300490",
     "medicine", True, "Лідокаїну гідрохлорид 2 %, ампули 2 мл № 10", "", "0.05", 100),
    # medical supplies and devices
    ("MS-BANDAGE-7X14", "Sterile gauze bandage 7 m x 14 cm", "pcs", "300590", "medical", False,
     "Бинт марлевий медичний стерильний 7 м × 14 см", "", "0.04", 250),
    ("MS-IFAK", "Individual first aid kit", "pcs", "300650", "medical", False,
     "Аптечка індивідуальна", "", "0.45", 40),
    ("MS-TOURNIQUET", "Tourniquet, windlass type", "pcs", "901890", "medical", False,
     "Турнікет кровоспинний (джгут турнікетного типу)", "", "0.08", 100),
    ("MS-GLOVES-NITR", "Nitrile examination gloves, box of 100", "box", "401519", "medical", False,
     "Рукавички нітрилові оглядові, коробка 100 шт.", "", "0.7", 10),
    ("MS-GLOVES-SURG", "Sterile surgical latex gloves, box of 50 pairs", "box", "401511", "medical",
     False, "Рукавички хірургічні латексні стерильні, коробка 50 пар", "", "1.6", 10),
    ("MS-SYRINGE-5", "Disposable syringe 5 ml with needle, box of 100", "box", "901831", "medical",
     False, "Шприц одноразовий 5 мл з голкою, коробка 100 шт.", "", "0.9", 10),
    ("MS-STRETCHER", "Folding stretcher", "pcs", "940290", "medical", False, "Ноші складані", "",
     "7.5", 1),
    ("MS-DEFIB", "Automated external defibrillator (AED)", "pcs", "901890", "medical", False,
     "Автоматичний зовнішній дефібрилятор", "", "3", 1),
    ("MS-PATIENT-MON", "Bedside patient monitor (ECG, SpO2, NIBP)", "pcs", "901819", "medical",
     False, "Монітор пацієнта приліжковий (ЕКГ, SpO2, НІАТ)", "", "12", 1),
    # energy
    ("EN-GEN-100KVA", "Diesel generator set 100 kVA", "pcs", "850212", "energy", False,
     "Дизельна генераторна установка 100 кВА", "", "1650", 1),
    ("EN-GEN-5KW", "Petrol generator 5.5 kW", "pcs", "850220", "energy", False,
     "Бензиновий генератор 5,5 кВт", "", "85", 1),
    ("EN-POWERBANK", "Power bank 20,000 mAh", "pcs", "850760", "energy", False,
     "Павербанк 20 000 мА·год", "", "0.5", 40),
    ("EN-CHARGESTATION", "Portable power station 2 kWh", "pcs", "850760", "energy", False,
     "Портативна зарядна станція 2 кВт·год", "", "25", 1),
    ("EN-HEATER", "Electric convector heater 2 kW", "pcs", "851629", "energy", False,
     "Електричний конвектор 2 кВт", "", "4.5", 1),
    ("EN-TRANSFORMER", "Oil-immersed power transformer 1000 kVA, 10/0.4 kV", "pcs", "850423",
     "energy", False, "Силовий масляний трансформатор 1000 кВА, 10/0,4 кВ", "", "3200", 1),
    # food (expiry tracked)
    ("FD-FLOUR", "Wheat flour, type 550", "kg", "110100", "food", True, "Борошно пшеничне", "",
     "1", 25),
    ("FD-RICE", "Milled long-grain rice", "kg", "100630", "food", True,
     "Рис шліфований довгозернистий", "", "1", 25),
    ("FD-CANMEAT", "Canned beef, 525 g", "pcs", "160250", "food", True,
     "Консерви м’ясні (яловичина тушкована), 525 г", "", "0.6", 20),
    ("FD-CANFISH", "Canned sardines in oil, 125 g", "pcs", "160413", "food", True,
     "Консерви рибні (сардини в олії), 125 г", "", "0.15", 50),
    ("FD-BABYFORM", "Infant formula, 400 g tin", "pcs", "190110", "food", True,
     "Суміш молочна для дитячого харчування, 400 г", "", "0.5", 12),
    ("FD-WATER", "Still drinking water in 1.5 l bottles", "l", "220190", "food", True,
     "Вода питна негазована, пляшки 1,5 л", "", "1.05", 9),
    # hygiene
    ("HY-SOAP", "Toilet soap, 100 g bar", "pcs", "340111", "hygiene", False,
     "Мило туалетне, 100 г", "", "0.11", 100),
    ("HY-TOOTHPASTE", "Toothpaste, 75 ml tube", "pcs", "330610", "hygiene", False,
     "Зубна паста, 75 мл", "", "0.1", 100),
    ("HY-NAPPIES", "Baby nappies, size 4, pack of 44", "pack", "961900", "hygiene", False,
     "Підгузки дитячі, розмір 4, упаковка 44 шт.", "", "1.2", 4),
    # shelter
    ("SH-BLANKET", "Fleece blanket, polyester, 150 x 200 cm", "pcs", "630140", "shelter", False,
     "Ковдра флісова поліестерова 150 × 200 см", "", "1.5", 10),
    ("SH-SLEEPBAG", "Winter sleeping bag (comfort -10 °C)", "pcs", "940430", "shelter", False,
     "Спальний мішок зимовий (комфорт −10 °C)", "", "1.8", 4),
    ("SH-TENT", "Tent, 10 m², polyester", "pcs", "630622", "shelter", False,
     "Намет 10 м², поліестер", "", "25", 1),
    # clothing
    ("CL-WINTERJACKET", "Winter jacket, man-made fibres, adult", "pcs", "620140", "clothing", False,
     "Куртка зимова з синтетичних волокон, доросла", "", "1.2", 10),
    ("CL-SOCKS-THERMAL", "Thermal socks, synthetic (pair)", "pcs", "611596", "clothing", False,
     "Шкарпетки термо, синтетичні (пара)", "", "0.06", 100),
    # vehicles
    ("VH-AMBULANCE", "Ambulance, Mercedes-Benz Sprinter 316 CDI (2.1 l diesel), type B, used",
     "pcs", "870332", "vehicle", False,
     "Автомобіль швидкої медичної допомоги Mercedes-Benz Sprinter 316 CDI, тип B, вживаний",
     "used", "3500", 1),
    ("VH-FIRETRUCK", "Fire engine (pump tender, Scania P-series), used", "pcs", "870530",
     "vehicle", False, "Пожежний автомобіль (автоцистерна Scania P-series), вживаний", "used",
     "14500", 1),
    # equipment
    ("EQ-LAPTOP", 'Laptop computer 15.6"', "pcs", "847130", "equipment", False,
     "Ноутбук 15,6\"", "", "2.5", 5),
    ("EQ-DRONE-THERM", "Quadcopter with thermal imaging camera (MTOW under 7 kg)", "pcs",
     "880622", "equipment", False, "Квадрокоптер з тепловізійною камерою (МЗМ до 7 кг)",
     "dual_use", "6", 1),
    ("EQ-SATTERM", "Satellite internet terminal kit", "pcs", "851762", "equipment", False,
     "Комплект терміналу супутникового інтернету", "", "7.5", 1),
    ("EQ-PUMP", "Submersible wastewater pump 15 kW", "pcs", "841370", "equipment", False,
     "Насос заглибний каналізаційний 15 кВт", "", "180", 1),
    ("EQ-WATERPURIF", "Mobile water purification unit 5 m³/h", "pcs", "842121", "equipment",
     False, "Мобільна установка очищення води 5 м³/год", "", "450", 1),
]
ITEM = {i[0]: i for i in ITEMS}


def cat(item: str) -> str:
    return ITEM[item][4]


def tracks(item: str) -> bool:
    return ITEM[item][5]


WAREHOUSES = [
    ("KYIV-WH-CENTRAL", "KYIV", "Central humanitarian aid warehouse of the Kyiv City State Administration", "Київ"),
    ("KYIV-WH-MED", "KYIV", "Kyiv municipal medical reserve store", "Київ"),
    ("LVIV-WH-1", "LVIV", "Lviv city humanitarian hub", "Львів"),
    ("LVIV-WH-2", "LVIV", "Lviv city food reserve store", "Винники"),
    ("KHARKIV-WH-1", "KHARKIV", "Kharkiv city humanitarian warehouse", "Харків"),
    ("KHARKIV-WH-MED", "KHARKIV", "Kharkiv city medical reserve store", "Харків"),
]
WH_OWNER = {w[0]: w[1] for w in WAREHOUSES}


def default_warehouse(recipient: str, item: str) -> str:
    c = cat(item)
    if recipient == "KYIV":
        return "KYIV-WH-MED" if c in ("medicine", "medical") else "KYIV-WH-CENTRAL"
    if recipient == "LVIV":
        return "LVIV-WH-2" if c == "food" else "LVIV-WH-1"
    return "KHARKIV-WH-MED" if c in ("medicine", "medical") else "KHARKIV-WH-1"


# who gets what (distribution planner)
BENEFICIARIES = {
    "KYIV": {
        "medicine": ["KYIV-HOSP-1", "KYIV-HOSP-2", "KYIV-EMS"],
        "medical": ["KYIV-HOSP-1", "KYIV-EMS", "KYIV-HOSP-2"],
        "energy": ["KYIV-TEPLO", "KYIV-HOSP-1", "KYIV-VODA", "KYIV-SCH-1"],
        "shelter": ["KYIV-SOC", "KYIV-SCH-1", "KYIV-HOSP-2"],
        "clothing": ["KYIV-SOC", "KYIV-SCH-1"],
        "hygiene": ["KYIV-SOC", "KYIV-SCH-1"],
        "food": ["KYIV-SOC", "KYIV-SCH-1"],
        "equipment": ["KYIV-SCH-1", "KYIV-SOC"],
        "EQ-DRONE-THERM": ["KYIV-TEPLO"],
        "EQ-SATTERM": ["KYIV-VODA", "KYIV-TEPLO", "KYIV-HOSP-1"],
        "EN-GEN-100KVA": ["KYIV-HOSP-1", "KYIV-VODA", "KYIV-TEPLO"],
        "MS-PATIENT-MON": ["KYIV-HOSP-1", "KYIV-HOSP-2"],
        "MS-STRETCHER": ["KYIV-EMS", "KYIV-HOSP-1"],
        "VH-AMBULANCE": ["KYIV-EMS"],
        "VH-FIRETRUCK": ["KYIV-RESCUE"],
    },
    "LVIV": {
        "medicine": ["LVIV-HOSP-1"],
        "medical": ["LVIV-HOSP-1"],
        "energy": ["LVIV-TEPLO", "LVIV-VODA", "LVIV-HOSP-1", "LVIV-SCH-1"],
        "shelter": ["LVIV-SOC", "LVIV-SCH-1"],
        "clothing": ["LVIV-SOC", "LVIV-SCH-1"],
        "hygiene": ["LVIV-SOC", "LVIV-SCH-1", "LVIV-HOSP-1"],
        "food": ["LVIV-SOC", "LVIV-SCH-1", "LVIV-HOSP-1"],
        "FD-BABYFORM": ["LVIV-SOC", "LVIV-HOSP-1"],
        "equipment": ["LVIV-VODA"],
    },
    "KHARKIV": {
        "medicine": ["KHARKIV-HOSP-1"],
        "medical": ["KHARKIV-HOSP-1"],
        "energy": ["KHARKIV-TEPLO", "KHARKIV-VODA", "KHARKIV-HOSP-1", "KHARKIV-SCH-1"],
        "EN-TRANSFORMER": ["KHARKIV-TEPLO"],
        "shelter": ["KHARKIV-SCH-1", "KHARKIV-HOSP-1"],
        "clothing": ["KHARKIV-SCH-1"],
        "hygiene": ["KHARKIV-SCH-1"],
        "food": ["KHARKIV-SCH-1", "KHARKIV-HOSP-1"],
        "equipment": ["KHARKIV-VODA"],
    },
}


def beneficiaries_for(recipient: str, item: str) -> list[str]:
    table = BENEFICIARIES[recipient]
    return table.get(item) or table[cat(item)]


# ================================================================================== pledges

# ref, date, donor, recipient, status, [(item, quantity, unit_value)]
PLEDGES = [
    ("MHMP-UA-2022-01", "2022-03-04", "PRAGUE", "KYIV", "commitment", [
        ("MS-IFAK", 2000, "1800.00"),
        ("MS-TOURNIQUET", 3000, "750.00"),
        ("MS-PATIENT-MON", 20, "180000.00"),
        ("MS-DEFIB", 30, "45000.00"),
        ("MED-TXA-500", 5000, "650.00"),
        ("MED-PARACET-500", 20000, "35.00"),
        ("MED-NACL-500", 10000, "45.00"),
        ("MS-BANDAGE-7X14", 30000, "12.00"),
    ]),
    ("WRO-POM-2022-03", "2022-03-02", "WROCLAW", "LVIV", "pledge", [
        ("FD-FLOUR", 20000, "3.20"),
        ("FD-RICE", 10000, "4.50"),
        ("FD-CANMEAT", 20000, "12.50"),
        ("FD-BABYFORM", 5000, "38.00"),
        ("HY-NAPPIES", 15000, "35.00"),
        ("HY-SOAP", 20000, "2.50"),
        ("SH-BLANKET", 5000, "45.00"),
        ("SH-SLEEPBAG", 2000, "120.00"),
        ("FD-WATER", 20000, "1.20"),
        ("HY-TOOTHPASTE", 10000, "6.50"),
    ]),
    ("KYOTO-KYIV-2022-01", "2022-04-05", "KYOTO", "KYIV", "commitment", [
        ("SH-BLANKET", 3000, "3200"),
        ("MS-GLOVES-NITR", 2000, "1200"),
        ("EN-POWERBANK", 2000, "4500"),
    ]),
    ("HEL-KYIV-2022-1", "2022-04-20", "HELSINKI", "KYIV", "commitment", [
        ("VH-FIRETRUCK", 1, "35000.00"),
        ("EQ-LAPTOP", 200, "650.00"),
        ("EN-GEN-100KVA", 4, "24000.00"),
    ]),
    ("TPE-UA-2022-01", "2022-05-02", "TAIPEI", "KYIV", "commitment", [
        ("MS-IFAK", 1500, "1500"),
        ("MED-AMOXI-500", 5000, "120"),
        ("SH-SLEEPBAG", 1000, "2200"),
    ]),
    ("BXL-2022-UA-07", "2022-07-01", "BRUSSELS", "KYIV", "pledge", [
        ("SH-BLANKET", 4000, "18.00"),
        ("SH-SLEEPBAG", 2000, "42.00"),
        ("CL-WINTERJACKET", 3000, "55.00"),
        ("SH-TENT", 100, "380.00"),
        ("CL-SOCKS-THERMAL", 10000, "4.50"),
        ("EN-HEATER", 1000, "39.00"),  # never dispatched
    ]),
    ("DCC-UKR-2022-02", "2022-10-20", "DUBLIN", "KYIV", "commitment", [
        ("VH-AMBULANCE", 1, "28000.00"),
        ("MS-STRETCHER", 50, "180.00"),
        ("MS-IFAK", 300, "65.00"),
    ]),
    ("MHMP-UA-2022-02", "2022-11-15", "PRAGUE", "KYIV", "commitment", [
        ("EN-GEN-100KVA", 10, "650000.00"),
        ("EN-GEN-5KW", 200, "28000.00"),
        ("EN-HEATER", 1000, "1100.00"),
    ]),
    ("BXL-2023-UA-03", "2023-03-10", "BRUSSELS", "KHARKIV", "commitment", [
        ("MS-SYRINGE-5", 2000, "9.50"),
        ("MS-GLOVES-NITR", 1500, "6.80"),
        ("MED-CEFTRIAX-1G", 10000, "1.60"),
        ("MED-LIDOC-2", 3000, "4.20"),
        ("MED-IBUPROF-400", 8000, "2.10"),
        ("MS-GLOVES-SURG", 1000, "22.50"),
    ]),
    ("MHMP-UA-2023-05", "2023-05-22", "PRAGUE", "KYIV", "commitment", [
        ("MED-INSULIN-HUM", 6000, "320.00"),
        ("MED-AMOXI-500", 8000, "95.00"),
    ]),
    ("HEL-KYIV-2023-2", "2023-09-15", "HELSINKI", "KYIV", "pledge", [
        ("EN-HEATER", 1000, "45.00"),
        ("EN-POWERBANK", 3000, "25.00"),
        ("EQ-DRONE-THERM", 4, "7500.00"),
        ("EQ-SATTERM", 50, "450.00"),
    ]),
    ("WRO-POM-2023-11", "2023-10-25", "WROCLAW", "KYIV", "commitment", [
        ("EN-GEN-5KW", 100, "3900.00"),
        ("EN-CHARGESTATION", 200, "5200.00"),
        ("EN-HEATER", 500, "190.00"),
    ]),
    ("KYOTO-KYIV-2023-02", "2023-11-20", "KYOTO", "KYIV", "commitment", [
        ("EN-GEN-5KW", 100, "180000"),
        ("EN-HEATER", 500, "9800"),
        ("SH-BLANKET", 2000, "3200"),
    ]),
    ("WRO-POM-2024-02", "2024-02-26", "WROCLAW", "KHARKIV", "commitment", [
        ("EN-TRANSFORMER", 2, "260000.00"),
        ("EQ-PUMP", 20, "6500.00"),
    ]),
    ("MHMP-UA-2024-03", "2024-04-22", "PRAGUE", "KYIV", "commitment", [
        ("MED-INSULIN-HUM", 5000, "330.00"),
        ("MED-TXA-500", 3000, "680.00"),
        ("MED-PARACET-500", 15000, "38.00"),
    ]),
    ("BXL-2024-UA-09", "2024-09-02", "BRUSSELS", "KHARKIV", "commitment", [
        ("EN-GEN-100KVA", 2, "26500.00"),
        ("EN-CHARGESTATION", 100, "1150.00"),
        ("SH-BLANKET", 2000, "18.00"),
    ]),
    ("DCC-UKR-2024-05", "2024-09-10", "DUBLIN", "KYIV", "pledge", [  # never shipped
        ("EQ-PUMP", 10, "3800.00"),
        ("EQ-WATERPURIF", 5, "14000.00"),
    ]),
    ("WRO-POM-2024-09", "2024-09-16", "WROCLAW", "LVIV", "commitment", [
        ("EN-GEN-5KW", 50, "4100.00"),
        ("EN-HEATER", 300, "195.00"),
        ("FD-CANFISH", 12000, "6.40"),
        ("SH-BLANKET", 1000, "46.00"),
    ]),
]
# pledges.csv `variance_reason` (REP-008): why dispatched differs from pledged
VARIANCE_REASON = {
    ("MHMP-UA-2022-01", 7): "2000 bottles of saline replaced by the city's own stock; donor agreed "
                            "by letter of 2022-05-02",
    ("WRO-POM-2022-03", 3): "1000 cans above the pledge: surplus donated by a Wrocław food bank, "
                            "confirmed by the donor",
}
PLEDGE_LINE = {}
for _ref, _date, _donor, _rcp, _st, _lines in PLEDGES:
    for _n, (_it, _q, _uv) in enumerate(_lines, 1):
        PLEDGE_LINE[(_donor, _ref, _n)] = dict(item=_it, quantity=_q, unit_value=_uv,
                                               recipient=_rcp, date=D(_date))


# ================================================================================ shipments


def L(item, qty, pl=None, uv=None, batch=None, exp=None, **extra):
    """One shipment line: pl = (pledge_ref, line_no) or None (unpledged, then uv is needed).
    `extra`: optional columns read by the rules engine (licence_no, vin, make, ...)."""
    return dict(item=item, qty=qty, pl=pl, uv=uv, batch=batch, exp=exp, extra=extra)


P1, P2 = "MHMP-UA-2022-01", "MHMP-UA-2022-02"
P3 = "WRO-POM-2022-03"
BORDER_DAYS = {"FI>EE>LV>BY>UA": 3, "CZ>PL>UA": 3, "PL>UA": 1, "FI>EE>LV>LT>PL>UA": 4, "BE>DE>PL>UA": 3,
               "IE>FR>BE>DE>PL>UA": 5, "JP>PL>UA": 6, "TW>CZ>PL>UA": 7}
INLAND_DAYS = {"KYIV": 2, "LVIV": 1, "KHARKIV": 3}
BORDER_OFFICE = {  # office, declaration prefix
    "KYIV": ("Ягодин / Yahodyn (Волинська митниця)", "UA205050"),
    "LVIV": ("Краковець / Krakovets (Львівська митниця)", "UA209130"),
    "KHARKIV": ("Рава-Руська / Rava-Ruska (Львівська митниця)", "UA209150"),
}

# flow: normal | held_release | held_forever | released_no_receipt | no_events
SHIPMENTS = [
    dict(ref="WRO-2022-001", date="2022-03-05", donor="WROCLAW", rcp="LVIV",
         carrier="CARR-PL-TRANSODRA", vehicle="DW 4KP72", route="PL>UA", lines=[
             L("FD-FLOUR", 8000, (P3, 1), batch="MK220301", exp="2023-02-28"),
             L("FD-CANMEAT", 6000, (P3, 3), batch="BW2202A", exp="2025-02-28"),
             L("FD-BABYFORM", 2000, (P3, 4), batch="NAN2201", exp="2023-07-31"),
             L("HY-NAPPIES", 5000, (P3, 5)),
             L("SH-BLANKET", 2000, (P3, 7)),
         ]),
    dict(ref="PRG-2022-001", date="2022-03-10", donor="PRAGUE", rcp="KYIV",
         carrier="CARR-CZ-TRANSKARGO", vehicle="5AK 2291", route="CZ>PL>UA", lines=[
             L("MS-IFAK", 1000, (P1, 1)),
             L("MS-TOURNIQUET", 1500, (P1, 2)),
             L("MED-TXA-500", 2500, (P1, 5), batch="TXA2106B", exp="2023-06-30"),
             L("MED-PARACET-500", 10000, (P1, 6), batch="PCM220114", exp="2025-01-31"),
             L("MS-BANDAGE-7X14", 15000, (P1, 8)),
         ]),
    dict(ref="WRO-2022-002", date="2022-03-12", donor="WROCLAW", rcp="LVIV",
         carrier="CARR-PL-TRANSODRA", vehicle="DW 8NC15", route="PL>UA", lines=[
             L("FD-RICE", 10000, (P3, 2), batch="RI2202-44", exp="2024-02-29"),
             L("FD-CANMEAT", 6000, (P3, 3), batch="BW2203C", exp="2025-03-31"),
             L("HY-SOAP", 20000, (P3, 6)),
             L("SH-SLEEPBAG", 1000, (P3, 8)),
         ]),
    dict(ref="PRG-2022-002", date="2022-03-24", donor="PRAGUE", rcp="KYIV",
         carrier="CARR-CZ-TRANSKARGO", vehicle="2AZ 7314", route="CZ>PL>UA", lines=[
             L("MS-IFAK", 1000, (P1, 1)),
             L("MS-TOURNIQUET", 1500, (P1, 2)),
             L("MS-DEFIB", 15, (P1, 4)),
             L("MED-NACL-500", 4000, (P1, 7), batch="NACL2202-117", exp="2024-08-31"),
             L("MS-BANDAGE-7X14", 15000, (P1, 8)),
             L("MS-GLOVES-NITR", 500, uv="190.00"),  # unpledged: added from city stock
         ]),
    dict(ref="WRO-2022-003", date="2022-03-26", donor="WROCLAW", rcp="LVIV",
         carrier="CARR-PL-TRANSODRA", vehicle="DW 2HT90", route="PL>UA", lines=[
             L("FD-FLOUR", 12000, (P3, 1), batch="MK220322", exp="2023-03-31"),
             L("FD-CANMEAT", 9000, (P3, 3), batch="BW2203F", exp="2025-04-30"),  # over pledge
             L("FD-BABYFORM", 3000, (P3, 4), batch="NAN2203", exp="2023-09-30"),
         ]),
    dict(ref="WRO-2022-004", date="2022-04-09", donor="WROCLAW", rcp="LVIV",
         carrier="CARR-PL-TRANSODRA", vehicle="DW 6RM33", route="PL>UA", lines=[
             L("HY-NAPPIES", 10000, (P3, 5)),
             L("SH-BLANKET", 3000, (P3, 7)),
             L("SH-SLEEPBAG", 1000, (P3, 8)),
         ]),
    dict(ref="KYOTO-2022-001", date="2022-04-18", donor="KYOTO", rcp="KYIV",
         carrier="CARR-PL-TRANSODRA", vehicle="WI 5823K", route="JP>PL>UA", lines=[
             L("SH-BLANKET", 3000, ("KYOTO-KYIV-2022-01", 1)),
             L("MS-GLOVES-NITR", 2000, ("KYOTO-KYIV-2022-01", 2)),
             L("EN-POWERBANK", 2000, ("KYOTO-KYIV-2022-01", 3)),
         ]),
    dict(ref="PRG-2022-003", date="2022-04-21", donor="PRAGUE", rcp="KYIV",
         carrier="CARR-CZ-TRANSKARGO", vehicle="8A1 4420", route="CZ>PL>UA", lines=[
             L("MS-PATIENT-MON", 20, (P1, 3)),
             L("MS-DEFIB", 15, (P1, 4)),
             L("MED-TXA-500", 2500, (P1, 5), batch="TXA2203K", exp="2025-03-31"),
             L("MED-PARACET-500", 10000, (P1, 6), batch="PCM220309", exp="2025-03-31"),
             L("MED-NACL-500", 4000, (P1, 7), batch="NACL2204-031", exp="2024-10-31"),
         ]),
    dict(ref="WRO-2022-005", date="2022-04-23", donor="WROCLAW", rcp="LVIV",
         carrier="CARR-PL-TRANSODRA", vehicle="DW 1LF48", route="PL>UA", lines=[
             L("FD-WATER", 20000, (P3, 9), batch="AQ220405", exp="2023-10-31"),
             L("HY-TOOTHPASTE", 10000, (P3, 10)),
         ]),
    dict(ref="HEL-2022-001", date="2022-05-09", donor="HELSINKI", rcp="KYIV",
         carrier="CARR-FI-POHJOLA", vehicle="KLM-482", route="FI>EE>LV>LT>PL>UA", lines=[
             L("EQ-LAPTOP", 100, ("HEL-KYIV-2022-1", 2)),
             L("EN-GEN-100KVA", 2, ("HEL-KYIV-2022-1", 3)),
         ]),
    dict(ref="TPE-2022-001", date="2022-05-16", donor="TAIPEI", rcp="KYIV",
         carrier="CARR-CZ-TRANSKARGO", vehicle="4AC 5519", route="TW>CZ>PL>UA", lines=[
             L("MS-IFAK", 1500, ("TPE-UA-2022-01", 1)),
             L("MED-AMOXI-500", 5000, ("TPE-UA-2022-01", 2), batch="AMX2203T", exp="2025-02-28"),
             L("SH-SLEEPBAG", 1000, ("TPE-UA-2022-01", 3)),
         ]),
    dict(ref="HEL-2022-002", date="2022-05-30", donor="HELSINKI", rcp="KYIV",
         carrier="CARR-FI-POHJOLA", vehicle="ZKP-117", route="FI>EE>LV>LT>PL>UA", lines=[
             L("VH-FIRETRUCK", 1, ("HEL-KYIV-2022-1", 1), vin="YS2P4X20005318842",
               make="Scania P 310 pump tender", condition="used", depreciation_pct="45"),
         ]),
    dict(ref="HEL-2022-003", date="2022-09-12", donor="HELSINKI", rcp="KYIV",
         carrier="CARR-FI-POHJOLA", vehicle="HRT-905", route="FI>EE>LV>LT>PL>UA", lines=[
             L("EQ-LAPTOP", 100, ("HEL-KYIV-2022-1", 2)),
             L("EN-GEN-100KVA", 2, ("HEL-KYIV-2022-1", 3)),
         ]),
    dict(ref="BXL-2022-001", date="2022-09-26", donor="BRUSSELS", rcp="KYIV",
         carrier="CARR-PL-TRANSODRA", vehicle="DW 7XS21", route="BE>DE>PL>UA", lines=[
             L("SH-BLANKET", 4000, ("BXL-2022-UA-07", 1)),
             L("SH-SLEEPBAG", 1000, ("BXL-2022-UA-07", 2)),
             L("CL-WINTERJACKET", 1500, ("BXL-2022-UA-07", 3)),
             L("CL-SOCKS-THERMAL", 10000, ("BXL-2022-UA-07", 5)),
         ]),
    dict(ref="BXL-2022-002", date="2022-10-24", donor="BRUSSELS", rcp="KYIV",
         carrier="CARR-PL-TRANSODRA", vehicle="DW 3GM64", route="BE>DE>PL>UA", lines=[
             L("SH-SLEEPBAG", 1000, ("BXL-2022-UA-07", 2)),
             L("CL-WINTERJACKET", 1500, ("BXL-2022-UA-07", 3)),
             L("SH-TENT", 100, ("BXL-2022-UA-07", 4)),
         ]),
    dict(ref="DUB-2022-001", date="2022-11-07", donor="DUBLIN", rcp="KYIV",
         carrier="CARR-UA-ZAKHID", vehicle="08-D-41752", route="IE>FR>BE>DE>PL>UA", lines=[
             L("VH-AMBULANCE", 1, ("DCC-UKR-2022-02", 1), vin="WDB9066331S772154",
               make="Mercedes-Benz Sprinter 316 CDI", condition="used",
               depreciation_pct="40"),  # driven, carries the kit below
             L("MS-STRETCHER", 10, ("DCC-UKR-2022-02", 2)),
             L("MS-IFAK", 300, ("DCC-UKR-2022-02", 3)),
         ]),
    dict(ref="PRG-2022-004", date="2022-12-05", donor="PRAGUE", rcp="KYIV",
         carrier="CARR-CZ-TRANSKARGO", vehicle="3AT 9052", route="CZ>PL>UA", lines=[
             L("EN-GEN-100KVA", 5, (P2, 1)),
             L("EN-GEN-5KW", 100, (P2, 2)),
         ]),
    dict(ref="PRG-2022-005", date="2022-12-19", donor="PRAGUE", rcp="KYIV",
         carrier="CARR-CZ-TRANSKARGO", vehicle="1AU 6638", route="CZ>PL>UA", lines=[
             L("EN-GEN-100KVA", 5, (P2, 1)),
             L("EN-GEN-5KW", 100, (P2, 2)),
             L("EN-HEATER", 1000, (P2, 3)),
         ]),
    dict(ref="DUB-2023-001", date="2023-02-13", donor="DUBLIN", rcp="KYIV",
         carrier="CARR-UA-ZAKHID", vehicle="BC 4721 HK", route="IE>FR>BE>DE>PL>UA", lines=[
             L("MS-STRETCHER", 40, ("DCC-UKR-2022-02", 2)),
         ]),
    dict(ref="BXL-2023-001", date="2023-04-03", donor="BRUSSELS", rcp="KHARKIV",
         carrier="CARR-PL-TRANSODRA", vehicle="DW 9PL07", route="BE>DE>PL>UA", lines=[
             L("MS-SYRINGE-5", 2000, ("BXL-2023-UA-03", 1)),
             L("MS-GLOVES-NITR", 1500, ("BXL-2023-UA-03", 2)),
             L("MED-CEFTRIAX-1G", 6000, ("BXL-2023-UA-03", 3), batch="CFX2302B", exp="2025-11-30"),
             L("MED-LIDOC-2", 3000, ("BXL-2023-UA-03", 4), batch="LID2301", exp="2025-12-31"),
             L("MED-IBUPROF-400", 8000, ("BXL-2023-UA-03", 5), batch="IBU2212", exp="2025-10-31"),
             L("MS-GLOVES-SURG", 1000, ("BXL-2023-UA-03", 6)),
         ]),
    dict(ref="BXL-2023-002", date="2023-05-15", donor="BRUSSELS", rcp="KHARKIV",
         carrier="CARR-PL-TRANSODRA", vehicle="DW 5KT88", route="BE>DE>PL>UA", lines=[
             L("MED-CEFTRIAX-1G", 4000, ("BXL-2023-UA-03", 3), batch="CFX2304A", exp="2026-03-31"),
         ]),
    dict(ref="PRG-2023-001", date="2023-06-12", donor="PRAGUE", rcp="KYIV",
         carrier="CARR-CZ-TRANSKARGO", vehicle="6AX 1187", route="CZ>PL>UA", lines=[
             L("MED-INSULIN-HUM", 6000, ("MHMP-UA-2023-05", 1), batch="INS2303", exp="2025-02-28"),
             L("MED-AMOXI-500", 8000, ("MHMP-UA-2023-05", 2), batch="AMX2304P", exp="2026-03-31"),
         ]),
    dict(ref="HEL-2023-001", date="2023-10-16", donor="HELSINKI", rcp="KYIV",
         carrier="CARR-FI-POHJOLA", vehicle="KLM-482", route="FI>EE>LV>LT>PL>UA",
         flow="held_release", lines=[
             L("EN-HEATER", 1000, ("HEL-KYIV-2023-2", 1)),
             L("EN-POWERBANK", 3000, ("HEL-KYIV-2023-2", 2)),
             L("EQ-DRONE-THERM", 4, ("HEL-KYIV-2023-2", 3), licence_no="FI-DU-2023-0117",
               licence_type="individual"),
         ]),
    dict(ref="WRO-2023-001", date="2023-11-06", donor="WROCLAW", rcp="KYIV",
         carrier="CARR-PL-TRANSODRA", vehicle="DW 4KP72", route="PL>UA", lines=[
             L("EN-GEN-5KW", 100, ("WRO-POM-2023-11", 1)),
             L("EN-CHARGESTATION", 100, ("WRO-POM-2023-11", 2)),
         ]),
    dict(ref="WRO-2024-001", date="2024-01-15", donor="WROCLAW", rcp="KYIV",
         carrier="CARR-PL-TRANSODRA", vehicle="DW 8NC15", route="PL>UA",
         aid=("UA-HA-2024-000187", "2024-01-10"), lines=[
             L("EN-CHARGESTATION", 100, ("WRO-POM-2023-11", 2)),
             L("EN-HEATER", 500, ("WRO-POM-2023-11", 3)),
         ]),
    dict(ref="HEL-2024-001", date="2024-01-22", donor="HELSINKI", rcp="KYIV",
         carrier="CARR-FI-POHJOLA", vehicle="HRT-905", route="FI>EE>LV>LT>PL>UA",
         aid=("UA-HA-2024-000342", "2024-01-18"), lines=[
             L("EQ-SATTERM", 50, ("HEL-KYIV-2023-2", 4)),
         ]),
    dict(ref="KYOTO-2024-001", date="2024-01-29", donor="KYOTO", rcp="KYIV",
         carrier="CARR-PL-TRANSODRA", vehicle="WI 7290M", route="JP>PL>UA",
         aid=("UA-HA-2024-000455", "2024-01-25"), lines=[
             L("EN-GEN-5KW", 100, ("KYOTO-KYIV-2023-02", 1)),
             L("EN-HEATER", 500, ("KYOTO-KYIV-2023-02", 2)),
         ]),
    dict(ref="WRO-2024-002", date="2024-03-18", donor="WROCLAW", rcp="KHARKIV",
         carrier="CARR-PL-TRANSODRA", vehicle="DW 2HT90", route="PL>UA",
         aid=("UA-HA-2024-001266", "2024-03-13"), lines=[
             L("EN-TRANSFORMER", 1, ("WRO-POM-2024-02", 1)),
             L("EQ-PUMP", 20, ("WRO-POM-2024-02", 2)),
         ]),
    dict(ref="WRO-2024-003", date="2024-04-15", donor="WROCLAW", rcp="KHARKIV",
         carrier="CARR-PL-TRANSODRA", vehicle="DW 6RM33", route="PL>UA",
         aid=("UA-HA-2024-001730", "2024-04-11"), lines=[
             L("EN-TRANSFORMER", 1, ("WRO-POM-2024-02", 1)),
         ]),
    dict(ref="PRG-2024-001", date="2024-05-13", donor="PRAGUE", rcp="KYIV",
         carrier="CARR-CZ-TRANSKARGO", vehicle="2AZ 7314", route="CZ>PL>UA",
         aid=("UA-HA-2024-002418", "2024-05-08"), lines=[
             L("MED-INSULIN-HUM", 5000, ("MHMP-UA-2024-03", 1), batch="INS2402", exp="2026-01-31"),
             L("MED-TXA-500", 3000, ("MHMP-UA-2024-03", 2), batch="TXA2403M", exp="2027-02-28"),
             L("MED-PARACET-500", 10000, ("MHMP-UA-2024-03", 3), batch="PCM240412", exp="2027-03-31"),
         ]),
    dict(ref="KYOTO-2024-002", date="2024-09-23", donor="KYOTO", rcp="KYIV",
         carrier="CARR-PL-TRANSODRA", vehicle="WI 3318P", route="JP>PL>UA", flow="held_forever",
         aid=("UA-HA-2024-004871", "2024-09-19"), lines=[
             L("SH-BLANKET", 2000, ("KYOTO-KYIV-2023-02", 3)),
         ]),
    dict(ref="BXL-2024-001", date="2024-09-30", donor="BRUSSELS", rcp="KHARKIV",
         carrier="CARR-PL-TRANSODRA", vehicle="DW 9PL07", route="BE>DE>PL>UA",
         flow="released_no_receipt", lines=[  # deliberately no AHARS code (CUS-002)
             L("EN-GEN-100KVA", 2, ("BXL-2024-UA-09", 1)),
             L("EN-CHARGESTATION", 100, ("BXL-2024-UA-09", 2)),
             L("SH-BLANKET", 2000, ("BXL-2024-UA-09", 3)),
         ]),
    dict(ref="WRO-2024-004", date="2024-10-07", donor="WROCLAW", rcp="LVIV",
         carrier="CARR-PL-TRANSODRA", vehicle="DW 1LF48", route="PL>UA",
         aid=("UA-HA-2024-005392", "2024-10-02"), lines=[
             L("EN-GEN-5KW", 50, ("WRO-POM-2024-09", 1)),
             L("EN-HEATER", 300, ("WRO-POM-2024-09", 2)),
             L("FD-CANFISH", 12000, ("WRO-POM-2024-09", 3), batch="SRD2407", exp="2027-06-30"),
             L("SH-BLANKET", 1000, ("WRO-POM-2024-09", 4)),
         ]),
    # deliberate: thermal drones (dual-use) planned through Belarus (CUS-012)
    dict(ref="HEL-2024-002", date="2024-10-28", donor="HELSINKI", rcp="KYIV",
         carrier="CARR-FI-POHJOLA", vehicle="KLM-482", route="FI>EE>LV>BY>UA", flow="no_events",
         aid=("UA-HA-2024-005870", "2024-10-23"), lines=[
             L("EQ-DRONE-THERM", 6, uv="5200.00", licence_no="FI-DU-2024-0342",
               licence_type="individual"),
         ]),
    dict(ref="PRG-2024-002", date="2024-10-29", donor="PRAGUE", rcp="KYIV",
         carrier="CARR-CZ-TRANSKARGO", vehicle="5AK 2291", route="CZ>PL>UA", flow="no_events",
         aid=("UA-HA-2024-005911", "2024-10-24"), lines=[
             L("MED-PARACET-500", 5000, ("MHMP-UA-2024-03", 3), batch="PCM240921", exp="2027-08-31"),
             # deliberate: an expired medicine (QLT-003) ...
             L("MED-IBUPROF-400", 2000, uv="42.00", batch="IBU2309X", exp="2024-09-30"),
             # ... and a short-dated one admitted with a justification (QLT-002)
             L("MED-INSULIN-HUM", 1500, uv="310.00", batch="INS2405S", exp="2025-04-30",
               short_date_justification="Requested by Kyiv EMS for the winter stock-out; "
               "to be used by 2025-02 (MoH letter 12/2024-ЛЗ)"),
         ]),
]
SHIP = {s["ref"]: s for s in SHIPMENTS}

# receipt exceptions: (shipment, line) -> list of receipt parts (days after the normal receipt date)
RECEIPT_SPECIAL = {
    ("WRO-2022-002", 2): [dict(received=5940, short=60, remarks=(
        "Short 60 cans (3 cartons of 20) - noted on CMR before the driver left; claim against "
        "carrier / Нестача 60 банок (3 коробки), зазначено в CMR"))],
    ("PRG-2022-002", 4): [dict(received=3960, damaged=40, remarks=(
        "2 cartons crushed, 40 bottles broken and leaking; damage act signed with driver / "
        "2 коробки пошкоджені, 40 пляшок розбиті, складено акт про пошкодження"))],
    ("BXL-2022-001", 2): [dict(received=1020, excess=20, remarks=(
        "20 sleeping bags (5 cartons) above the CMR quantity; donor confirmed as additional "
        "donation / Надлишок 20 шт., донор підтвердив додаткову передачу"))],
    ("PRG-2022-003", 4): [
        dict(received=6000, remarks=(
            "Transshipped at Yahodyn into two Ukrainian trucks; truck 1 of 2 (6000 packs) / "
            "Перевантажено у дві машини, машина 1 з 2")),
        dict(received=4000, days=2, remarks=(
            "Truck 2 of 2 (4000 packs) arrived two days later / Машина 2 з 2, прибула через 2 дні")),
    ],
}
RECEIPT_SPECIAL[("WRO-2024-004", 4)] = [dict(received=985, short=15)]  # no remark (DOC-007)
NO_REMARK = {("WRO-2024-004", 4)}
DELIBERATE_SHELF = {("PRG-2024-002", 2), ("PRG-2024-002", 3)}  # expired / short-dated medicine
# the NBU rate deliberately missing for the day a shipment was received (ACC-001/ACC-002)
MISSING_RATE_FOR = "HEL-2024-001"

# receipts into a warehouse other than the default, and receipts not followed by auto distribution
RECEIPT_WAREHOUSE = {("KYOTO-2022-001", 2): "KYIV-WH-CENTRAL"}  # gloves came with the blankets
NO_AUTO = {("KYOTO-2022-001", 2)}  # moved to the medical store by transfer KV-TR-2022-001

# explicit transfers: ref, date, from, to, [(item, qty, batch)]
TRANSFERS = [
    ("KV-TR-2022-001", "2022-04-28", "KYIV-WH-CENTRAL", "KYIV-WH-MED", [
        ("MS-GLOVES-NITR", 2000, None)]),
    ("LV-TR-2022-001", "2022-05-10", "LVIV-WH-2", "KHARKIV-WH-1", [
        ("FD-CANMEAT", 3000, "BW2203F"),
        ("FD-RICE", 2000, "RI2202-44")]),
    ("KV-TR-2022-002", "2022-12-20", "KYIV-WH-CENTRAL", "KHARKIV-WH-1", [
        ("EN-GEN-5KW", 30, None),
        ("SH-BLANKET", 1500, None),
        ("EN-POWERBANK", 400, None)]),
    ("KV-TR-2024-001", "2024-02-12", "KYIV-WH-CENTRAL", "KHARKIV-WH-1", [
        ("EN-CHARGESTATION", 40, None),
        ("EN-HEATER", 150, None)]),
]
# explicit write-offs: ref, date, warehouse, [(item, qty, batch, reason)]
WRITEOFFS = [
    ("KH-SP-2023-001", "2023-02-14", "KHARKIV-WH-1", [("SH-BLANKET", 180, None, "damaged")]),
    ("KV-SP-2023-001", "2023-07-05", "KYIV-WH-MED", [("MED-TXA-500", 120, "TXA2106B", "expired")]),
    ("LV-SP-2023-001", "2023-08-08", "LVIV-WH-2", [("FD-BABYFORM", 35, "NAN2201", "expired")]),
]
# quantities of a lot kept back for the expiry write-offs above (planner must not hand them out)
RESERVE = {("KYIV-WH-MED", "TXA2106B"): 120, ("LVIV-WH-2", "NAN2201"): 35}

RECIPIENT_PREFIX = {"KYIV": "KV", "LVIV": "LV", "KHARKIV": "KH"}

# ============================================================================== FX rates

# piecewise-linear anchors (the NBU fixed USD at 29.2549 until 2022-07-20 and at 36.5686 from
# 2022-07-21 until the managed float of 2023-10-03); crosses then give EUR, CZK, PLN, JPY, TWD.
USD_UAH = [("2022-03-01", 29.2549), ("2022-07-20", 29.2549), ("2022-07-21", 36.5686),
           ("2023-10-03", 36.5686), ("2023-10-20", 36.55), ("2023-11-15", 36.15),
           ("2023-12-31", 37.98), ("2024-03-31", 39.20), ("2024-06-30", 40.50),
           ("2024-09-30", 41.20), ("2024-12-31", 42.03)]
EUR_USD = [("2022-03-01", 1.115), ("2022-05-15", 1.040), ("2022-07-15", 1.035),
           ("2022-09-28", 0.965), ("2022-11-30", 1.040), ("2023-01-31", 1.090),
           ("2023-05-31", 1.070), ("2023-07-15", 1.120), ("2023-10-01", 1.055),
           ("2023-12-31", 1.105), ("2024-04-15", 1.065), ("2024-09-30", 1.100), ("2024-11-08", 1.075),
           ("2024-12-31", 1.040)]
EUR_CZK = [("2022-03-01", 24.70), ("2022-03-08", 25.50), ("2022-06-01", 24.70),
           ("2022-07-20", 24.40), ("2022-12-31", 24.10), ("2023-04-01", 23.50), ("2023-09-01", 24.20),
           ("2023-12-31", 24.70), ("2024-03-31", 25.30), ("2024-12-31", 25.20)]
EUR_PLN = [("2022-03-01", 4.70), ("2022-03-08", 4.95), ("2022-06-01", 4.60),
           ("2022-07-20", 4.62), ("2022-09-30", 4.85), ("2022-12-31", 4.69), ("2023-06-30", 4.44),
           ("2023-09-30", 4.62), ("2023-12-31", 4.34), ("2024-06-30", 4.32),
           ("2024-09-30", 4.33), ("2024-12-31", 4.27)]
USD_JPY = [("2022-03-01", 115.0), ("2022-06-01", 130.0), ("2022-07-20", 131.0),
           ("2022-07-21", 137.0), ("2022-10-20", 150.0),
           ("2023-01-15", 128.0), ("2023-06-30", 144.0), ("2023-10-31", 151.0),
           ("2023-12-31", 141.0), ("2024-04-29", 158.0), ("2024-07-10", 161.0),
           ("2024-09-16", 140.0), ("2024-12-31", 157.0)]
USD_TWD = [("2022-03-01", 28.0), ("2022-07-20", 28.7), ("2022-07-21", 29.8),
           ("2022-10-31", 32.2), ("2023-01-31", 30.0),
           ("2023-10-31", 32.3), ("2023-12-31", 30.7), ("2024-06-30", 32.5),
           ("2024-09-30", 31.6), ("2024-12-31", 32.8)]
FX_RANGES = {"EUR": (30, 46), "CZK": (1.2, 1.9), "PLN": (6.5, 10.5), "JPY": (0.22, 0.30),
             "TWD": (1.0, 1.35), "USD": (29, 43)}


def interp(anchors, day: dt.date) -> float:
    pts = [(D(a), v) for a, v in anchors]
    if day <= pts[0][0]:
        return pts[0][1]
    for (d0, v0), (d1, v1) in itertools.pairwise(pts):
        if d0 <= day <= d1:
            return v0 + (v1 - v0) * (day - d0).days / max((d1 - d0).days, 1)
    return pts[-1][1]


def build_fx() -> list[dict]:
    rng = random.Random(20220301)
    noise = {c: 0.0 for c in ("USD", "EUR", "CZK", "PLN", "JPY", "TWD")}
    rows = []
    day = FX_START
    while day <= END:
        for c in noise:
            noise[c] = 0.85 * noise[c] + rng.gauss(0, 0.0025)
        fixed = day <= D("2023-10-03")
        usd = interp(USD_UAH, day) * (1 if fixed else 1 + noise["USD"])
        eur = usd * interp(EUR_USD, day) * (1 + noise["EUR"])
        rates = {
            "EUR": eur,
            "USD": usd,
            "CZK": eur / interp(EUR_CZK, day) * (1 + noise["CZK"]),
            "PLN": eur / interp(EUR_PLN, day) * (1 + noise["PLN"]),
            "JPY": usd / interp(USD_JPY, day) * (1 + noise["JPY"]),
            "TWD": usd / interp(USD_TWD, day) * (1 + noise["TWD"]),
        }
        for c in ("CZK", "EUR", "JPY", "PLN", "TWD", "USD"):
            rows.append(dict(date=day.isoformat(), currency=c, rate=f"{rates[c]:.4f}",
                             base="UAH", source="NBU"))
        day += dt.timedelta(days=1)
    return rows


# ========================================================================= building events


def fmt_kg(x: Decimal) -> str:
    return f"{x.quantize(Decimal('0.1'))}"


def build_pledges() -> list[dict]:
    rows = []
    for ref, date, donor, rcp, status, lines in PLEDGES:
        for n, (item, qty, uv) in enumerate(lines, 1):
            rows.append(dict(pledge_ref=ref, line_no=n, date=date, donor=donor, recipient=rcp,
                             item=item, quantity=qty, unit_value=uv,
                             currency=DONOR_CURRENCY[donor], status=status,
                             variance_reason=VARIANCE_REASON.get((ref, n), "")))
    return rows


def waybill_no(s: dict, seq: int) -> str:
    country = PARTY[s["carrier"]][3]
    return f"CMR-{country}-{s['date'][2:4]}-{seq:05d}"


EU = {"BE", "CZ", "DE", "EE", "FI", "FR", "IE", "LT", "LV", "PL"}
DURABLE_HS = ("8502", "8504", "8703", "8705")  # generators, transformers, vehicles (DOC-008)


def build_shipments() -> list[dict]:
    rows = []
    rng = random.Random(7)
    rng_x = random.Random(23)  # export MRNs and seals: a separate stream keeps the rest stable
    for s in SHIPMENTS:
        wb = waybill_no(s, rng.randrange(1000, 99999))
        s["waybill"] = wb
        aid_code, aid_date = s.get("aid", ("", ""))
        route = s["route"].split(">")
        exporter = next(c for c in route if c in EU)
        mrn = f"{s['date'][2:4]}{exporter}{rng_x.randrange(16**12):012X}{rng_x.randrange(10)}E"
        seals = ";".join(f"{exporter}-{rng_x.randrange(100000, 999999)}" for _ in range(2)) \
            if len(route) >= 3 else ""
        arrived = ("" if s.get("flow") == "no_events" else
                   (D(s["date"]) + dt.timedelta(days=BORDER_DAYS[s["route"]])).isoformat())
        header = dict(declared_via="electronic" if aid_code else "", export_mrn=mrn,
                      exit_confirmed_at=arrived, seal_nos=seals)
        for n, ln in enumerate(s["lines"], 1):
            item = ln["item"]
            if ln["pl"]:
                pl = PLEDGE_LINE[(s["donor"], ln["pl"][0], ln["pl"][1])]
                assert pl["item"] == item, (s["ref"], n)
                uv = pl["unit_value"]
            else:
                uv = ln["uv"]
            kg_unit, per_pkg = Decimal(ITEM[item][8]), ITEM[item][9]
            packages = math.ceil(ln["qty"] / per_pkg)
            gross = Decimal(ln["qty"]) * kg_unit * Decimal("1.04") + packages * Decimal("0.4")
            if cat(item) == "vehicle":
                gross = Decimal(ln["qty"]) * kg_unit
            rows.append(dict(
                shipment_ref=s["ref"], line_no=n, dispatch_date=s["date"], donor=s["donor"],
                recipient=s["rcp"], item=item, quantity=ln["qty"], unit_value=uv,
                currency=DONOR_CURRENCY[s["donor"]],
                pledge_ref=ln["pl"][0] if ln["pl"] else "",
                pledge_line=ln["pl"][1] if ln["pl"] else "",
                batch=ln["batch"] or "", expiry=ln["exp"] or "",
                gross_kg=fmt_kg(gross), packages=packages,
                vehicle_reg=s["vehicle"], waybill_no=wb, carrier=s["carrier"], route=s["route"],
                aid_code=aid_code, aid_code_date=aid_date, **header, **ln["extra"]))
    return rows


def build_customs_and_receipts() -> tuple[list[dict], list[dict]]:
    rng = random.Random(11)
    customs, receipts = [], []
    for s in SHIPMENTS:
        flow = s.get("flow", "normal")
        if flow == "no_events":
            continue
        disp = D(s["date"])
        arrived = disp + dt.timedelta(days=BORDER_DAYS[s["route"]])
        office, prefix = BORDER_OFFICE[s["rcp"]]
        decl = f"{prefix}/{arrived.year}/{rng.randrange(1000, 999999):06d}"
        regime = ("CMU Res. 174 simplified passage" if disp < AHARS_FROM
                  else f"AHARS code {s['aid'][0]}" if "aid" in s
                  else "paper declaration, no AHARS code quoted")
        def ev(e, d, note="", s=s, decl=decl, office=office, regime=regime):
            customs.append(dict(shipment_ref=s["ref"], event=e, date=d.isoformat(),
                                declaration_no=decl, office=office, note=note or regime))
        ev("arrived", arrived)
        if flow == "held_release":
            ev("held", arrived + dt.timedelta(days=1),
               "Dual-use check of thermal-imaging drones (EQ-DRONE-THERM): end-user statement "
               "and export licence copy requested")
            released = arrived + dt.timedelta(days=10)
            ev("released", released, "Released after end-user statement and licence copy filed")
        elif flow == "held_forever":
            ev("held", arrived + dt.timedelta(days=1),
               "Package count and gross weight differ from the AHARS registration (CUS-004); "
               "full inspection ordered, corrected registration awaited")
            continue
        else:
            released = arrived + dt.timedelta(days=rng.choice((0, 0, 1)))
            ev("released", released)
        if flow == "released_no_receipt":
            continue
        rdate = released + dt.timedelta(days=INLAND_DAYS[s["rcp"]])
        for n, ln in enumerate(s["lines"], 1):
            wh = RECEIPT_WAREHOUSE.get((s["ref"], n), default_warehouse(s["rcp"], ln["item"]))
            parts = RECEIPT_SPECIAL.get((s["ref"], n), [dict(received=ln["qty"])])
            for p in parts:
                d = rdate + dt.timedelta(days=p.get("days", 0))
                receipts.append(dict(
                    receipt_ref=None, shipment_ref=s["ref"], line_no=n, date=d.isoformat(),
                    warehouse=wh, received=p["received"], short=p.get("short", 0),
                    damaged=p.get("damaged", 0), excess=p.get("excess", 0),
                    remarks=p.get("remarks", "")))
    # goods received notes: one per (shipment, warehouse, date), numbered per recipient and year
    receipts.sort(key=lambda r: (r["date"], r["shipment_ref"], r["line_no"]))
    numbers: dict[tuple, str] = {}
    seq: dict[tuple, int] = defaultdict(int)
    for r in receipts:
        key = (r["shipment_ref"], r["warehouse"], r["date"])
        if key not in numbers:
            rcp = WH_OWNER[r["warehouse"]]
            y = r["date"][:4]
            seq[(rcp, y)] += 1
            numbers[key] = f"{RECIPIENT_PREFIX[rcp]}-PN-{y}-{seq[(rcp, y)]:04d}"
        r["receipt_ref"] = numbers[key]
    return customs, receipts


# ============================================================ stock simulation and planner


class Lot:
    __slots__ = ("batch", "dispatch", "expiry", "first_receipt", "item", "key")

    def __init__(self, key, item, batch, expiry, dispatch):
        self.key, self.item, self.batch, self.expiry, self.dispatch = key, item, batch, expiry, dispatch
        self.first_receipt = None


def lot_table(shipments: list[dict]) -> dict[tuple, Lot]:
    lots = {}
    for r in shipments:
        lots[(r["shipment_ref"], int(r["line_no"]))] = Lot(
            (r["shipment_ref"], int(r["line_no"])), r["item"], r["batch"] or None,
            D(r["expiry"]) if r["expiry"] else None, D(r["dispatch_date"]))
    return lots


class Stock:
    """Stock per (warehouse, lot) with FEFO picking."""

    def __init__(self, lots: dict[tuple, Lot], policy: str = "dispatch"):
        self.lots = lots
        self.q: dict[tuple, dict[tuple, int]] = defaultdict(lambda: defaultdict(int))
        self.policy = policy

    def add(self, wh, lot_key, qty):
        self.q[wh][lot_key] += qty

    def held(self, wh, item):
        return [(k, v) for k, v in self.q[wh].items() if v > 0 and self.lots[k].item == item]

    def order(self, keys):
        def k(lk):
            lot = self.lots[lk]
            oldest = lot.dispatch if self.policy == "dispatch" else lot.first_receipt
            return (lot.expiry or dt.date.max, oldest, lk)
        return sorted(keys, key=k)

    def candidates(self, wh, item, batch):
        keys = [k for k, v in self.held(wh, item) if batch is None or self.lots[k].batch == batch]
        return self.order(keys)

    def available(self, wh, item, batch, day, reserve=None):
        """Most that can be picked without touching a reserved quantity, or None if the
        pick is not allowed at all (an expired lot would be handed out or is lying in FEFO's way)."""
        reserve = reserve or {}
        cands = self.candidates(wh, item, batch)
        if batch is None and any(self.lots[k].expiry and self.lots[k].expiry <= day
                                 for k, _ in self.held(wh, item)):
            return None
        total = 0
        for k in cands:
            lot = self.lots[k]
            if lot.expiry and lot.expiry <= day:
                return None if total == 0 else total
            res = reserve.get((wh, lot.batch), 0) if lot.batch else 0
            have = self.q[wh][k]
            if res:
                return total + max(have - res, 0)
            total += have
        return total

    def take(self, wh, item, batch, qty):
        picks = []
        left = qty
        for k in self.candidates(wh, item, batch):
            if left == 0:
                break
            n = min(left, self.q[wh][k])
            if n:
                self.q[wh][k] -= n
                picks.append((k, n))
                left -= n
        if left:
            raise AssertionError(f"not enough {item} ({batch or 'FEFO'}) in {wh}: short {left}")
        return picks


def plan_distributions(shipments, receipts) -> tuple[list[dict], list[dict], list[dict]]:
    """Plan distribution acts against the simulated stock; return (distributions, writeoffs,
    transfers) rows."""
    rng = random.Random(4242)
    lots = lot_table(shipments)
    ship_rcp = {r["shipment_ref"]: r["recipient"] for r in shipments}
    used: set[tuple] = set()  # (date, warehouse, item) already given to an outgoing event
    events = []  # (date, order, seq, event)
    seq = 0

    def add(ev, date, order):
        nonlocal seq
        seq += 1
        events.append((date, order, seq, ev))

    for ref, date, src, dst, lines in TRANSFERS:
        d = D(date)
        for n, (item, qty, batch) in enumerate(lines, 1):
            assert (d, src, item) not in used
            used.add((d, src, item))
            add(dict(kind="transfer", ref=ref, line=n, date=d, wh=src, to=dst, item=item,
                     qty=qty, batch=batch), d, 0)
    for ref, date, wh, lines in WRITEOFFS:
        d = D(date)
        for n, (item, qty, batch, reason) in enumerate(lines, 1):
            assert (d, wh, item) not in used
            used.add((d, wh, item))
            add(dict(kind="writeoff", ref=ref, line=n, date=d, wh=wh, item=item, qty=qty,
                     batch=batch, reason=reason), d, 0)
    for r in receipts:
        add(dict(kind="receipt", r=r), D(r["date"]), 9)
    # a FEFO pick on a day when the same item also comes into the same warehouse would depend on
    # whether the ledger books the arrival first: keep planned hand-overs off those days
    incoming_days = {(D(r["date"]), r["warehouse"], lots[(r["shipment_ref"], r["line_no"])].item)
                     for r in receipts}
    incoming_days |= {(D(date), dst, item) for _r, date, _s, dst, lines in TRANSFERS
                      for item, _q, _b in lines}
    assert not incoming_days & used, "an explicit movement falls on a day of arrival"
    used |= incoming_days

    def free_date(d, wh, item):
        while (d, wh, item) in used:
            d += dt.timedelta(days=1)
        used.add((d, wh, item))
        return d

    # auto distributions after each incoming portion
    incoming = [(D(r["date"]), r["warehouse"], (r["shipment_ref"], r["line_no"]), r["received"])
                for r in receipts if (r["shipment_ref"], r["line_no"]) not in NO_AUTO]
    for _ref, date, _src, dst, lines in TRANSFERS:
        for item, qty, batch in lines:
            incoming.append((D(date), dst, ("transfer", item, batch), qty))
    for day, wh, key, qty in incoming:
        if key[0] == "transfer":
            item, batch, lot = key[1], None, None
        else:
            lot = lots[key]
            item, batch = lot.item, lot.batch
        rcp = WH_OWNER[wh]
        if qty <= 3 or cat(item) == "vehicle":
            plan = [(rng.randint(3, 6), 1.0, None)]
        elif qty <= 50:  # a few pieces of equipment: handed over in two acts, nothing kept back
            plan = [(rng.randint(3, 6), 0.6, None), (rng.randint(12, 20), 1.0, None)]
        else:
            plan = [(rng.randint(3, 6), 0.35, None), (rng.randint(12, 20), 0.25, batch),
                    (rng.randint(30, 45), 0.15, None)]
        bens = beneficiaries_for(rcp, item)
        start = rng.randrange(len(bens))
        per_pkg = ITEM[item][9]
        for k, (off, frac, b) in enumerate(plan):
            q = int(qty * frac)
            if q >= per_pkg > 1:
                q = q // per_pkg * per_pkg
            if q <= 0:
                continue
            d = free_date(day + dt.timedelta(days=off), wh, item)
            if d > EVENTS_END:
                continue
            add(dict(kind="dist", auto=True, date=d, wh=wh, item=item, qty=q,
                     batch=b if tracks(item) else None, ben=bens[(start + k) % len(bens)]), d, 1)

    # clearance of every lot that would otherwise expire in stock before END
    dest_of = defaultdict(set)
    for _ref, _date, _src, dst, lines in TRANSFERS:
        for item, _q, _b in lines:
            dest_of[item].add(dst)
    for key, lot in lots.items():
        if not lot.expiry or lot.expiry >= END or not lot.batch:
            continue
        rcp = ship_rcp[key[0]]
        whs = {w for w, o in WH_OWNER.items() if o == rcp} | dest_of[lot.item]
        for wh in sorted(whs):
            if RESERVE.get((wh, lot.batch)):
                continue
            d = free_date(lot.expiry - dt.timedelta(days=60), wh, lot.item)
            bens = beneficiaries_for(WH_OWNER[wh], lot.item)
            add(dict(kind="dist", auto=True, clear=True, date=d, wh=wh, item=lot.item,
                     qty=None, batch=lot.batch, ben=bens[0]), d, 2)

    # run: per day, outgoing events (against the previous day's stock), then incoming ones
    by_day: dict[dt.date, list] = defaultdict(list)
    for e in events:
        by_day[e[0]].append(e)
    stock = Stock(lots)
    dists, wos, trs = [], [], []
    for day in sorted(by_day):
        todays = sorted(by_day[day], key=lambda e: (e[1], e[2]))
        arriving = []
        for _d, _order, _seq, ev in todays:
            kind = ev["kind"]
            if kind == "receipt":
                r = ev["r"]
                arriving.append((r["warehouse"], (r["shipment_ref"], r["line_no"]), r["received"]))
                continue
            avail = stock.available(ev["wh"], ev["item"], ev["batch"], day, RESERVE)
            if ev.get("auto"):
                if not avail:
                    continue
                q = avail if ev.get("clear") else min(ev["qty"], avail)
                stock.take(ev["wh"], ev["item"], ev["batch"], q)
                dists.append(dict(date=day, wh=ev["wh"], ben=ev["ben"], item=ev["item"],
                                  qty=q, batch=ev["batch"]))
                continue
            # explicit events must go through exactly as written
            if kind == "writeoff" and ev["reason"] == "expired":
                picks = stock.take(ev["wh"], ev["item"], ev["batch"], ev["qty"])
                assert all(lots[k].expiry < day for k, _ in picks), ev
            else:
                assert avail is not None and avail >= ev["qty"], (ev, avail)
                picks = stock.take(ev["wh"], ev["item"], ev["batch"], ev["qty"])
            if kind == "writeoff":
                wos.append(ev)
            else:
                trs.append(ev)
                arriving.extend((ev["to"], lk, n) for lk, n in picks)
        for wh, lk, n in arriving:
            stock.add(wh, lk, n)
    return dists, wos, trs


def distribution_rows(dists: list[dict]) -> list[dict]:
    """Group planned lines into acts: one act per (date, warehouse, beneficiary)."""
    acts: dict[tuple, list[dict]] = defaultdict(list)
    for d in sorted(dists, key=lambda x: (x["date"], x["wh"], x["ben"], x["item"])):
        acts[(d["date"], d["wh"], d["ben"])].append(d)
    rows, seq = [], defaultdict(int)
    for (day, wh, ben), lines in sorted(acts.items()):
        rcp = WH_OWNER[wh]
        seq[(rcp, day.year)] += 1
        ref = f"{RECIPIENT_PREFIX[rcp]}-AKT-{day.year}-{seq[(rcp, day.year)]:04d}"
        for n, d in enumerate(lines, 1):
            rows.append(dict(distribution_ref=ref, line_no=n, date=day.isoformat(),
                             recipient=rcp, warehouse=wh, beneficiary=ben, item=d["item"],
                             quantity=d["qty"], batch=d["batch"] or "",
                             settlement=PARTY[ben][8]))
    return rows


def writeoff_rows() -> list[dict]:
    return [dict(writeoff_ref=ref, line_no=n, date=date, recipient=WH_OWNER[wh], warehouse=wh,
                 item=item, quantity=qty, batch=batch or "", reason=reason)
            for ref, date, wh, lines in WRITEOFFS
            for n, (item, qty, batch, reason) in enumerate(lines, 1)]


def transfer_rows() -> list[dict]:
    return [dict(transfer_ref=ref, line_no=n, date=date, from_warehouse=src, to_warehouse=dst,
                 item=item, quantity=qty, batch=batch or "")
            for ref, date, src, dst, lines in TRANSFERS
            for n, (item, qty, batch) in enumerate(lines, 1)]


def add_asset_numbers(receipts: list[dict]) -> None:
    """Durable goods get asset numbers on the goods received note (DOC-008)."""
    item_of = {(s["ref"], n): ln["item"] for s in SHIPMENTS for n, ln in enumerate(s["lines"], 1)}
    seq: dict[tuple, int] = defaultdict(int)
    for r in receipts:
        item = item_of[(r["shipment_ref"], r["line_no"])]
        if not ITEM[item][3].startswith(DURABLE_HS) or not r["received"]:
            continue
        rcp, y, q = WH_OWNER[r["warehouse"]], r["date"][:4], int(r["received"])
        first = seq[(rcp, y)] + 1
        seq[(rcp, y)] += q
        tag = f"{RECIPIENT_PREFIX[rcp]}-OS-{y}-"
        r["asset_no"] = f"{tag}{first:04d}" + (f"..{first + q - 1:04d}" if q > 1 else "")


def build_documents(shipments: list[dict], receipts: list[dict]) -> list[dict]:
    """documents.csv: the paper trail the rules engine checks (all signed and on time, except
    the deliberate AHARS mismatch of KYOTO-2024-002)."""
    docs: list[dict] = []

    def doc(kind, number, day, subject, **kw):
        docs.append(dict(kind=kind, number=number, subject=subject, date=day.isoformat(), **kw))

    by_ship = defaultdict(list)
    for r in shipments:
        by_ship[r["shipment_ref"]].append(r)
    for s in SHIPMENTS:
        ref, disp, rows = s["ref"], D(s["date"]), by_ship[s["ref"]]
        donor, rcp = PARTY[s["donor"]][1], PARTY[s["rcp"]][1]
        pref = next((ln["pl"][0] for ln in s["lines"] if ln["pl"]), None)
        value = sum(Decimal(str(r["quantity"])) * Decimal(str(r["unit_value"])) for r in rows)
        packages = sum(int(r["packages"]) for r in rows)
        pieces = sum(int(r["quantity"]) for r in rows)
        kg = sum(Decimal(r["gross_kg"]) for r in rows)
        doc("donation_letter", f"DL-{ref}", disp - dt.timedelta(days=10), ref, signed="true",
            signatory=donor, note="free and non-returnable" + (f"; under {pref}" if pref else ""))
        doc("recipient_consent", f"RC-{ref}", disp - dt.timedelta(days=8), ref, signed="true",
            signatory=rcp)
        doc("packing_list", f"PL-{ref}", disp, ref, packages=packages, gross_kg=kg)
        doc("proforma", f"PF-{ref}", disp, ref, value=f"{value:.2f}",
            currency=DONOR_CURRENCY[s["donor"]], note="no commercial value, for customs only")
        doc("gift_certificate", f"GC-{ref}", disp, ref, signed="true", signatory=donor)
        if "aid" in s:
            if ref == "KYOTO-2024-002":  # deliberate: registered 12 packages / 180 kg more
                packages, kg = packages + 12, kg + 180
            doc("ahars_registration", s["aid"][0], D(s["aid"][1]), ref, packages=packages,
                pieces=pieces, gross_kg=kg)
            doc("acquirer_need_letter", f"NL-{ref}", disp - dt.timedelta(days=12), ref,
                signed="true", signatory=rcp, note="need confirmed by the final acquirers")
            doc("distribution_plan", f"DP-{ref}", disp - dt.timedelta(days=8), ref,
                signed="true", signatory=rcp)
    first: dict[str, dt.date] = {}
    for r in receipts:
        first[r["shipment_ref"]] = min(first.get(r["shipment_ref"], D(r["date"])), D(r["date"]))
    for ref, day in sorted(first.items()):
        rcp = PARTY[SHIP[ref]["rcp"]][1]
        doc("acceptance_act", f"AKT-PP-{ref}", day, ref, signed="true",
            signatory=f"Receiving commission, {rcp}")
    for r in receipts:
        if int(r["short"]) or int(r["damaged"]):
            doc("loss_report", f"LR-{r['receipt_ref']}-{r['line_no']}", D(r["date"]),
                r["receipt_ref"], signed="true", signatory="Warehouse manager and driver")
    for ref, date, wh, lines in WRITEOFFS:
        doc("writeoff_act", f"{ref}-A", D(date), ref, signed="true",
            signatory=f"Write-off commission, {PARTY[WH_OWNER[wh]][1]}")
        if any(reason != "expired" for *_x, reason in lines):
            doc("loss_report", f"{ref}-LR", D(date), ref, signed="true",
                signatory="Warehouse manager")
    for ref, date, _donor, _rcp, status, _lines in PLEDGES:
        if status == "commitment":
            doc("agreement", f"AGR-{ref}", D(date), ref, signed="true",
                signatory=f"{PARTY[_donor][1]} / {PARTY[_rcp][1]}")
    start: dict[str, dt.date] = {}
    for r in receipts:
        start[r["warehouse"]] = min(start.get(r["warehouse"], D(r["date"])), D(r["date"]))
    for _ref, date, _src, dst, _lines in TRANSFERS:
        start[dst] = min(start.get(dst, D(date)), D(date))
    for wh, day in sorted(start.items()):
        month = dt.date(day.year, day.month, 1)
        while True:
            nxt = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
            end = nxt - dt.timedelta(days=1)
            if end > EVENTS_END:
                break
            doc("stock_count", f"INV-{wh}-{end:%Y-%m}", end, wh, signed="true",
                signatory="Stock-count commission", note="full count, no differences")
            month = nxt
    return docs


COLUMNS = {
    "parties": ["code", "name", "kind", "country", "name_local", "registry_id",
                "aid_register_no", "entity_type", "register_status"],
    "partnerships": ["party_a", "party_b", "kind", "signed_on", "areas"],
    "items": ["code", "name", "unit", "hs_code", "category", "tracks_expiry", "name_uk",
              "flags"],
    "warehouses": ["code", "party", "name", "settlement"],
    "fx_rates": ["date", "currency", "rate", "base", "source"],
    "pledges": ["pledge_ref", "line_no", "date", "donor", "recipient", "item", "quantity",
                "unit_value", "currency", "status", "variance_reason"],
    "shipments": ["shipment_ref", "line_no", "dispatch_date", "donor", "recipient", "item",
                  "quantity", "unit_value", "currency", "pledge_ref", "pledge_line", "batch",
                  "expiry", "gross_kg", "packages", "vehicle_reg", "waybill_no", "carrier",
                  "route", "aid_code", "aid_code_date", "declared_via", "export_mrn",
                  "exit_confirmed_at", "seal_nos", "licence_no", "licence_type", "vin", "make",
                  "condition", "depreciation_pct", "short_date_justification"],
    "customs": ["shipment_ref", "event", "date", "declaration_no", "office", "note"],
    "receipts": ["receipt_ref", "shipment_ref", "line_no", "date", "warehouse", "received",
                 "short", "damaged", "excess", "remarks", "asset_no"],
    "distributions": ["distribution_ref", "line_no", "date", "recipient", "warehouse",
                      "beneficiary", "item", "quantity", "batch", "settlement"],
    "writeoffs": ["writeoff_ref", "line_no", "date", "recipient", "warehouse", "item",
                  "quantity", "batch", "reason"],
    "transfers": ["transfer_ref", "line_no", "date", "from_warehouse", "to_warehouse", "item",
                  "quantity", "batch"],
    "documents": ["kind", "number", "subject", "date", "signed", "signatory", "value", "currency",
                  "packages", "pieces", "gross_kg", "note"],
}


def write(kind: str, rows: list[dict]) -> None:
    with open(OUT / f"{kind}.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS[kind], lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow({k: r.get(k, "") for k in COLUMNS[kind]})


def missing_rate(receipts: list[dict]) -> tuple[str, str]:
    """(date, currency) of the NBU rate left out on purpose: the day MISSING_RATE_FOR arrived."""
    days = {r["date"] for r in receipts if r["shipment_ref"] == MISSING_RATE_FOR}
    assert len(days) == 1
    return (days.pop(), DONOR_CURRENCY[SHIP[MISSING_RATE_FOR]["donor"]])


def build() -> None:
    write("parties", [dict(code=p[0], name=p[1], kind=p[2], country=p[3], name_local=p[4],
                           registry_id=p[5], aid_register_no=p[6],
                           entity_type=ENTITY_TYPE.get(p[0], ""),
                           register_status="active" if p[0] in RECIPIENTS else "")
                      for p in PARTIES])
    write("partnerships", [dict(party_a=a, party_b=b, kind=k, signed_on=s, areas=ar)
                           for a, b, k, s, ar in PARTNERSHIPS])
    write("items", [dict(code=i[0], name=i[1], unit=i[2], hs_code=i[3], category=i[4],
                         tracks_expiry="true" if i[5] else "false", name_uk=i[6], flags=i[7])
                    for i in ITEMS])
    write("warehouses", [dict(code=c, party=p, name=n, settlement=s)
                         for c, p, n, s in WAREHOUSES])
    fx = build_fx()
    write("pledges", build_pledges())
    shipments = build_shipments()
    write("shipments", shipments)
    customs, receipts = build_customs_and_receipts()
    add_asset_numbers(receipts)
    write("customs", customs)
    write("receipts", receipts)
    gap = missing_rate(receipts)
    write("fx_rates", [r for r in fx if (r["date"], r["currency"]) != gap])
    write("documents", build_documents(shipments, receipts))
    dists, _wos, _trs = plan_distributions(shipments, receipts)
    write("distributions", distribution_rows(dists))
    write("writeoffs", writeoff_rows())
    write("transfers", transfer_rows())


# ================================================================================= verify


def read(kind: str) -> list[dict]:
    with open(OUT / f"{kind}.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows, f"{kind}.csv is empty"
    assert list(rows[0].keys()) == COLUMNS[kind], f"{kind}.csv columns"
    return rows


def dec(s: str) -> Decimal:
    return Decimal(s) if s not in ("", None) else Decimal(0)


def verify() -> dict[str, int]:
    """Read the CSV files back and check them, independently of how they were built."""
    data = {k: read(k) for k in COLUMNS}
    parties = {p["code"]: p for p in data["parties"]}
    items = {i["code"]: i for i in data["items"]}
    assert {w["code"] for w in data["warehouses"]} == set(WH_OWNER)
    parent = {p[0]: p[7] for p in PARTIES}

    # ---- codes, keys, quantities, dates
    code_cols = {"code", "party", "party_a", "party_b", "item", "donor", "recipient", "pledge_ref",
                 "shipment_ref", "receipt_ref", "distribution_ref", "writeoff_ref",
                 "transfer_ref", "warehouse", "from_warehouse", "to_warehouse", "beneficiary",
                 "carrier", "batch"}
    date_cols = {"date", "signed_on", "dispatch_date", "expiry", "aid_code_date"}
    for kind, rows in data.items():
        for r in rows:
            for c, v in r.items():
                if c in code_cols and v:
                    assert CODE_RE.match(v), (kind, c, v)
                if c in date_cols and v:
                    D(v)
                if c in ("quantity", "rate"):
                    assert dec(v) > 0, (kind, r)
                if c in ("unit_value", "gross_kg", "received", "short", "damaged", "excess"):
                    assert dec(v) >= 0, (kind, r)
                    assert -dec(v).as_tuple().exponent <= 4, (kind, c, v)
    keys = {"parties": ("code",), "items": ("code",), "warehouses": ("code",),
            "partnerships": ("party_a", "party_b", "kind"),
            "fx_rates": ("date", "currency", "base"),
            "pledges": ("donor", "pledge_ref", "line_no"),
            "shipments": ("shipment_ref", "line_no"),
            "customs": ("shipment_ref", "event", "date"),
            "receipts": ("receipt_ref", "shipment_ref", "line_no"),
            "distributions": ("distribution_ref", "line_no"),
            "writeoffs": ("writeoff_ref", "line_no"), "transfers": ("transfer_ref", "line_no"),
            "documents": ("kind", "number", "subject")}
    for kind, cols in keys.items():
        ks = [tuple(r[c] for c in cols) for r in data[kind]]
        assert len(ks) == len(set(ks)), f"duplicate key in {kind}"
    for i in data["items"]:
        assert re.fullmatch(r"\d{6,10}", i["hs_code"]), i
        assert (i["tracks_expiry"] == "true") == (i["category"] in ("medicine", "food")), i
    for p in data["partnerships"]:
        assert p["party_a"] in parties and p["party_b"] in parties

    # ---- FX: every day, every currency used, plausible
    used_ccy = {r["currency"] for k in ("pledges", "shipments") for r in data[k]}
    fx = defaultdict(dict)
    for r in data["fx_rates"]:
        fx[r["currency"]][D(r["date"])] = dec(r["rate"])
        assert r["base"] == "UAH" and r["source"] == "NBU"
    event_dates = [D(r[c]) for k in ("pledges", "shipments", "customs", "receipts",
                                     "distributions", "writeoffs", "transfers")
                   for r in data[k] for c in ("date", "dispatch_date", "aid_code_date")
                   if r.get(c)]
    first, last = min(event_dates), max(event_dates)
    assert last <= EVENTS_END
    gap_day, gap_ccy = missing_rate(data["receipts"])
    assert D(gap_day) not in fx[gap_ccy], "the deliberately missing rate is missing"
    for c in used_ccy:
        d = first
        while d <= last:
            assert d in fx[c] or (c, d) == (gap_ccy, D(gap_day)), (c, d)
            d += dt.timedelta(days=1)
    for c, (lo, hi) in FX_RANGES.items():
        assert all(lo * 0.98 <= float(v) <= hi * 1.02 for v in fx[c].values()), c

    # ---- pledges and shipments
    pledges = {(r["donor"], r["pledge_ref"], int(r["line_no"])): r for r in data["pledges"]}
    for r in data["pledges"]:
        assert r["currency"] == DONOR_CURRENCY[r["donor"]]
        assert r["recipient"] in RECIPIENTS and r["item"] in items
    lines = {}
    headers = defaultdict(set)
    dispatched_on_pledge = defaultdict(Decimal)
    shipments_per_pline = defaultdict(set)
    over_pledge, unpledged = [], []
    for r in data["shipments"]:
        key = (r["shipment_ref"], int(r["line_no"]))
        lines[key] = r
        headers[r["shipment_ref"]].add((r["dispatch_date"], r["donor"], r["recipient"],
                                        r["vehicle_reg"], r["waybill_no"], r["carrier"],
                                        r["route"], r["aid_code"], r["aid_code_date"]))
        assert r["currency"] == DONOR_CURRENCY[r["donor"]], key
        assert parties[r["carrier"]]["kind"] == "carrier", key
        if r["shipment_ref"] != "HEL-2024-002":  # deliberately routed through BY (CUS-012)
            assert "RU" not in r["route"].split(">") and "BY" not in r["route"].split(">")
        assert r["route"].endswith(">UA")
        disp = D(r["dispatch_date"])
        item = items[r["item"]]
        if item["tracks_expiry"] == "true":
            assert r["batch"] and r["expiry"], key
            left = (D(r["expiry"]) - disp).days
            if key not in DELIBERATE_SHELF:
                assert left >= (400 if item["category"] == "medicine" else 180), key
        else:
            assert not r["batch"] and not r["expiry"], key
        if disp >= AHARS_FROM and r["shipment_ref"] != "BXL-2024-001":  # deliberately no code
            cd = D(r["aid_code_date"])
            assert r["aid_code"].startswith("UA-HA-") and 0 < (disp - cd).days <= 7, key
        if item["category"] == "medicine":
            assert dec(r["gross_kg"]) / int(r["packages"]) <= 50, key  # WHO: packages <= 50 kg
        if r["pledge_ref"]:
            pl = pledges[(r["donor"], r["pledge_ref"], int(r["pledge_line"]))]
            assert pl["item"] == r["item"] and pl["recipient"] == r["recipient"], key
            assert D(pl["date"]) <= disp, key
            pk = (r["donor"], r["pledge_ref"], int(r["pledge_line"]))
            before = dispatched_on_pledge[pk]
            dispatched_on_pledge[pk] += dec(r["quantity"])
            shipments_per_pline[pk].add(r["shipment_ref"])
            if dispatched_on_pledge[pk] > dec(pl["quantity"]):
                over_pledge.append((key, dec(pl["quantity"]) - before, dec(r["quantity"])))
        else:
            unpledged.append(key)
    for ref, h in headers.items():
        assert len(h) == 1, f"shipment {ref}: one vehicle, one header"
    dispatch_order = [r["dispatch_date"] for r in data["shipments"]]
    assert dispatch_order == sorted(dispatch_order), "file order = dispatch order (oldest lot first)"
    ship_gross = defaultdict(Decimal)
    for r in data["shipments"]:
        ship_gross[r["shipment_ref"]] += dec(r["gross_kg"])
    assert max(ship_gross.values()) <= 24000, "a truck carries at most 24 t"

    # ---- customs
    events = defaultdict(list)
    for r in data["customs"]:
        events[r["shipment_ref"]].append((D(r["date"]), r["event"]))
    order = {"arrived": 0, "held": 1, "rejected": 1, "released": 2}
    for ref, evs in events.items():
        # same-day events (arrived and released on one day) are allowed: the file lists them in
        # order, and the event names also sort alphabetically in that order
        evs.sort(key=lambda e: (e[0], order[e[1]]))
        assert evs[0][1] == "arrived"
        assert D(next(iter(headers[ref]))[0]) < evs[0][0]
        for (d0, e0), (d1, e1) in itertools.pairwise(evs):
            assert d0 <= d1 and (order[e0] < order[e1] or e0 == "held"), (ref, evs)
            assert d0 < d1 or e0 < e1, (ref, evs)

    # ---- receipts
    out_of_transit = defaultdict(Decimal)
    receipts_per_line = defaultdict(set)
    for r in data["receipts"]:
        key = (r["shipment_ref"], int(r["line_no"]))
        s = lines[key]
        assert WH_OWNER[r["warehouse"]] == s["recipient"], key
        rd = D(r["date"])
        evs = events.get(r["shipment_ref"], [])
        if evs:
            assert evs[-1][1] == "released" and evs[-1][0] <= rd, (key, evs)
        assert rd > D(s["dispatch_date"])
        rec, sh, dm, ex = (dec(r[c]) for c in ("received", "short", "damaged", "excess"))
        assert ex <= rec and rec + sh + dm > 0
        if (sh or dm or ex) and key not in NO_REMARK:
            assert r["remarks"], key
        out_of_transit[key] += rec - ex + sh + dm
        receipts_per_line[key].add(r["receipt_ref"])
    for key, n in out_of_transit.items():
        assert n <= dec(lines[key]["quantity"]), key
    received_refs = {k[0] for k in out_of_transit}
    for key, s in lines.items():
        if s["shipment_ref"] in received_refs:
            assert out_of_transit[key] == dec(s["quantity"]), f"{key} not fully closed"

    # ---- stock simulation from the files, with two FEFO tie-breaks
    lots = lot_table(data["shipments"])
    first_rec = {}
    for r in sorted(data["receipts"], key=lambda r: r["date"]):
        first_rec.setdefault((r["shipment_ref"], int(r["line_no"])), D(r["date"]))
    for k, lot in lots.items():
        lot.first_receipt = first_rec.get(k, dt.date.max)
    for r in data["distributions"]:
        assert r["recipient"] == WH_OWNER[r["warehouse"]], r
        assert parent[r["beneficiary"]] == r["recipient"], r
        assert parties[r["beneficiary"]]["kind"] in ("hospital", "communal_enterprise", "school",
                                                      "budget_institution"), r
        assert r["settlement"], r
    for r in data["writeoffs"]:
        assert r["recipient"] == WH_OWNER[r["warehouse"]], r
    outgoing_keys = [(r["date"], r["warehouse"], r["item"]) for r in data["distributions"]] + \
        [(r["date"], r["warehouse"], r["item"]) for r in data["writeoffs"]] + \
        [(r["date"], r["from_warehouse"], r["item"]) for r in data["transfers"]]
    assert len(outgoing_keys) == len(set(outgoing_keys)), \
        "two outgoing movements of one item from one warehouse on one day (order would matter)"
    item_of = {k: r["item"] for k, r in lines.items()}
    arrivals = {(r["date"], r["warehouse"], item_of[(r["shipment_ref"], int(r["line_no"]))])
                for r in data["receipts"]}
    arrivals |= {(r["date"], r["to_warehouse"], r["item"]) for r in data["transfers"]}
    blank_out = [(r["date"], r["warehouse"], r["item"]) for r in data["distributions"] + data["writeoffs"]
                 if not r["batch"]] + \
        [(r["date"], r["from_warehouse"], r["item"]) for r in data["transfers"] if not r["batch"]]
    assert not arrivals & set(blank_out), "FEFO pick on a day the same item arrives (order would matter)"

    final = None
    for policy in ("dispatch", "receipt"):
        st = Stock(lots, policy)
        day_events = defaultdict(list)
        for r in data["receipts"]:
            day_events[D(r["date"])].append(("in", r))
        for k in ("distributions", "writeoffs", "transfers"):
            for r in data[k]:
                day_events[D(r["date"])].append((k, r))
        expiry_writeoffs = []
        for day in sorted(day_events):
            arriving = []
            for kind, r in day_events[day]:
                if kind == "in":
                    arriving.append((r["warehouse"], (r["shipment_ref"], int(r["line_no"])),
                                     int(r["received"])))
                    continue
                wh = r.get("warehouse") or r["from_warehouse"]
                batch = r["batch"] or None
                held = st.held(wh, r["item"])
                if batch is None:
                    assert not any(lots[k].expiry and lots[k].expiry <= day for k, _ in held), \
                        ("FEFO pick while an expired lot is in stock", r)
                picks = st.take(wh, r["item"], batch, int(r["quantity"]))
                if kind == "writeoffs" and r["reason"] == "expired":
                    assert all(lots[k].expiry < day for k, _ in picks), r
                    expiry_writeoffs.append(r["writeoff_ref"])
                else:
                    assert all(not lots[k].expiry or lots[k].expiry > day for k, _ in picks), r
                if kind == "transfers":
                    arriving.extend((r["to_warehouse"], k, n) for k, n in picks)
            for wh, k, n in arriving:
                st.add(wh, k, n)
        # nothing expired left lying in stock at the end
        snapshot = {(wh, k): v for wh, d in st.q.items() for k, v in d.items() if v}
        for (wh, k), v in snapshot.items():
            assert not lots[k].expiry or lots[k].expiry > END, ("expired stock at end", wh, k, v)
        if final is None:
            final = snapshot
        assert snapshot == final, "FEFO tie-break changes the outcome"

    # ---- the deliberate scenarios are all present
    rec = {(r["shipment_ref"], int(r["line_no"])): r for r in data["receipts"]}
    assert dec(rec[("WRO-2022-002", 2)]["short"]) == 60
    assert dec(rec[("PRG-2022-002", 4)]["damaged"]) == 40
    assert dec(rec[("BXL-2022-001", 2)]["excess"]) == 20
    assert len(receipts_per_line[("PRG-2022-003", 4)]) == 2
    assert [e for _, e in events["HEL-2023-001"]] == ["arrived", "held", "released"]
    assert [e for _, e in events["KYOTO-2024-002"]] == ["arrived", "held"]
    assert "KYOTO-2024-002" not in received_refs
    assert [e for _, e in events["BXL-2024-001"]] == ["arrived", "released"]
    assert "BXL-2024-001" not in received_refs
    assert "PRG-2024-002" not in events and "PRG-2024-002" not in received_refs
    never = [k for k in pledges if k[1] == "DCC-UKR-2024-05"]
    assert never and not any(k in dispatched_on_pledge for k in never)
    assert ("BRUSSELS", "BXL-2022-UA-07", 6) not in dispatched_on_pledge
    assert len(shipments_per_pline[("PRAGUE", P1, 1)]) == 2
    assert dispatched_on_pledge[("PRAGUE", P1, 7)] < dec(pledges[("PRAGUE", P1, 7)]["quantity"])
    assert [k for k, _, _ in over_pledge] == [("WRO-2022-003", 2)], over_pledge
    assert unpledged == [("PRG-2022-002", 6), ("HEL-2024-002", 1), ("PRG-2024-002", 2),
                         ("PRG-2024-002", 3)], unpledged
    # the deliberate problems the rules engine must find (sample_data/README.md)
    assert D(lines[("PRG-2024-002", 2)]["expiry"]) < D(lines[("PRG-2024-002", 2)]["dispatch_date"])
    assert lines[("PRG-2024-002", 3)]["short_date_justification"]
    assert not lines[("BXL-2024-001", 1)]["aid_code"]
    assert "BY" in lines[("HEL-2024-002", 1)]["route"].split(">")
    assert items["EQ-DRONE-THERM"]["flags"] == "dual_use"
    assert dec(rec[("WRO-2024-004", 4)]["short"]) > 0 and not rec[("WRO-2024-004", 4)]["remarks"]
    docs = {(d["kind"], d["subject"]) for d in data["documents"]}
    assert all(("donation_letter", ref) in docs for ref in headers)
    assert sorted(expiry_writeoffs) == ["KV-SP-2023-001", "LV-SP-2023-001"]
    assert any(r["reason"] == "damaged" for r in data["writeoffs"])
    assert any(WH_OWNER[r["from_warehouse"]] != WH_OWNER[r["to_warehouse"]]
               for r in data["transfers"])
    prague_kyiv = sum(dec(r["quantity"]) * dec(r["unit_value"]) for r in data["shipments"]
                      if r["donor"] == "PRAGUE" and r["recipient"] == "KYIV"
                      and r["pledge_ref"] in ("", P1))
    assert prague_kyiv > 15_000_000, prague_kyiv
    d_rows = data["distributions"]
    assert any(r["batch"] for r in d_rows) and any(not r["batch"] for r in d_rows)
    assert len(data["shipments"]) and len(headers) >= 25
    assert {p for p in DONOR_CURRENCY} <= {r["donor"] for r in data["shipments"]}
    return {k: len(v) for k, v in data.items()}


if __name__ == "__main__":
    build()
    counts = verify()
    for kind, n in counts.items():
        print(f"{kind + '.csv':20s} {n:6d} rows")
    print("all checks passed")
