#!/usr/bin/env python3
"""Transcribe the collected standards tables into playbooks/reference/.

Run by hand, once, by the engineer who maintains these tables (hazlink never runs it: the
programs and tests read only the files it wrote). It copies every source column and every
row unchanged and adds, per table:

  verified   yes/no, machine-readable form of the source's "[unverified]" marks (and of the
             other doubts the source states in words, see FLAGGED below), so that the flag
             travels to every place a value is shown.

GB 3838-2002 also gets:
  alias      ";"-separated other names a reading may use for the item (English name,
             formula, the name without its parenthesised qualifier). hazlink's own addition.
  water_body any | river | lake_reservoir: which water body a row applies to (from the
             standard's own note 河流 / 湖、库 on 总磷 and 总氮).

Usage: transcribe.py SOURCE_DIR OUT_DIR
"""
import csv
import sys
import os

UNVERIFIED = "[unverified]"

GB3838_ALIAS = {
    # 表1 基本项目
    "水温": "water temperature;temperature",
    "pH值": "pH",
    "溶解氧": "DO;dissolved oxygen",
    "高锰酸盐指数(CODMn)": "高锰酸盐指数;CODMn;permanganate index",
    "化学需氧量(COD)": "化学需氧量;COD;CODCr;chemical oxygen demand",
    "五日生化需氧量(BOD5)": "五日生化需氧量;BOD5;BOD",
    "氨氮(NH3-N)": "氨氮;NH3-N;ammonia nitrogen",
    "总磷(以P计)": "总磷;TP;total phosphorus",
    "总氮(湖、库,以N计)": "总氮;TN;total nitrogen",
    "铜": "copper;Cu",
    "锌": "zinc;Zn",
    "氟化物": "fluoride",
    "硒": "selenium;Se",
    "砷": "arsenic;As",
    "汞": "mercury;Hg",
    "镉": "cadmium;Cd",
    "铬(六价)": "六价铬;hexavalent chromium;chromium(VI);Cr6+",
    "铅": "lead;Pb",
    "氰化物": "cyanide",
    "挥发酚": "volatile phenol;volatile phenols",
    "石油类": "petroleum;oil;petroleum oil",
    "阴离子表面活性剂": "anionic surfactant;LAS",
    "硫化物": "sulfide;sulphide",
    "粪大肠菌群": "fecal coliforms;faecal coliforms",
    # 表2 补充项目
    "硫酸盐": "sulfate;sulphate",
    "氯化物": "chloride",
    "硝酸盐": "nitrate",
    "铁": "iron;Fe",
    "锰": "manganese;Mn",
    # 表3 特定项目
    "三氯甲烷": "chloroform;trichloromethane",
    "四氯化碳": "carbon tetrachloride",
    "三溴甲烷": "bromoform;tribromomethane",
    "二氯甲烷": "dichloromethane;methylene chloride",
    "1,2-二氯乙烷": "1,2-dichloroethane",
    "环氧氯丙烷": "epichlorohydrin",
    "氯乙烯": "vinyl chloride",
    "1,1-二氯乙烯": "1,1-dichloroethylene",
    "1,2-二氯乙烯": "1,2-dichloroethylene",
    "三氯乙烯": "trichloroethylene",
    "四氯乙烯": "tetrachloroethylene",
    "氯丁二烯": "chloroprene",
    "六氯丁二烯": "hexachlorobutadiene",
    "苯乙烯": "styrene",
    "甲醛": "formaldehyde",
    "乙醛": "acetaldehyde",
    "丙烯醛": "acrolein",
    "三氯乙醛": "chloral;trichloroacetaldehyde",
    "苯": "benzene",
    "甲苯": "toluene",
    "乙苯": "ethylbenzene",
    "二甲苯": "xylene",
    "异丙苯": "cumene;isopropylbenzene",
    "氯苯": "chlorobenzene",
    "1,2-二氯苯": "1,2-dichlorobenzene",
    "1,4-二氯苯": "1,4-dichlorobenzene",
    "三氯苯": "trichlorobenzene",
    "四氯苯": "tetrachlorobenzene",
    "六氯苯": "hexachlorobenzene",
    "硝基苯": "nitrobenzene",
    "二硝基苯": "dinitrobenzene",
    "2,4-二硝基甲苯": "2,4-dinitrotoluene",
    "2,4,6-三硝基甲苯": "2,4,6-trinitrotoluene;TNT",
    "硝基氯苯": "nitrochlorobenzene",
    "2,4-二硝基氯苯": "2,4-dinitrochlorobenzene",
    "2,4-二氯苯酚": "2,4-dichlorophenol",
    "2,4,6-三氯苯酚": "2,4,6-trichlorophenol",
    "五氯酚": "pentachlorophenol",
    "苯胺": "aniline",
    "联苯胺": "benzidine",
    "丙烯酰胺": "acrylamide",
    "丙烯腈": "acrylonitrile",
    "邻苯二甲酸二丁酯": "dibutyl phthalate",
    "邻苯二甲酸二(2-乙基己基)酯": "bis(2-ethylhexyl) phthalate;DEHP",
    "水合肼": "hydrazine hydrate",
    "四乙基铅": "tetraethyl lead",
    "吡啶": "pyridine",
    "松节油": "turpentine",
    "苦味酸": "picric acid",
    "丁基黄原酸": "butyl xanthate",
    "活性氯": "active chlorine",
    "滴滴涕": "DDT",
    "林丹": "lindane",
    "环氧七氯": "heptachlor epoxide",
    "对硫磷": "parathion",
    "甲基对硫磷": "methyl parathion",
    "马拉硫磷": "malathion",
    "乐果": "dimethoate",
    "敌敌畏": "dichlorvos",
    "敌百虫": "trichlorfon",
    "内吸磷": "demeton",
    "百菌清": "chlorothalonil",
    "甲萘威": "carbaryl",
    "溴氰菊酯": "deltamethrin",
    "阿特拉津": "atrazine",
    "苯并(a)芘": "benzo(a)pyrene;benzo[a]pyrene",
    "甲基汞": "methylmercury",
    "多氯联苯": "PCBs;polychlorinated biphenyls",
    "微囊藻毒素-LR": "microcystin-LR",
    "黄磷": "yellow phosphorus",
    "钼": "molybdenum",
    "钴": "cobalt",
    "铍": "beryllium",
    "硼": "boron",
    "锑": "antimony",
    "镍": "nickel",
    "钡": "barium",
    "钒": "vanadium",
    "钛": "titanium",
    "铊": "thallium",
}

# Doubts the source states in words rather than with "[unverified]".
def flagged_in_words(name, header, row):
    if name == "gb18218_2018_table2_table4_categories.csv":
        return "disagree" in row[header.index("note")]
    return False


def has_unverified(row):
    return any(UNVERIFIED in f or f.strip() == "unverified" for f in row)


def water_body(note):
    if note.startswith("湖、库"):
        return "lake_reservoir"
    if note == "河流":
        return "river"
    return "any"


def main(src, out):
    names = sorted(f for f in os.listdir(src) if f.endswith(".csv"))
    for name in names:
        with open(os.path.join(src, name), encoding="utf-8", newline="") as f:
            rows = list(csv.reader(f))
        header, body = rows[0], rows[1:]
        out_header = list(header)
        gb3838 = name.startswith("gb3838")
        if gb3838:
            out_header += ["alias", "water_body"]
        out_header.append("verified")
        out_rows = []
        for row in body:
            r = list(row)
            if gb3838:
                item = row[header.index("item")]
                if item not in GB3838_ALIAS:
                    sys.exit(f"{name}: no alias entry for {item}")
                r += [GB3838_ALIAS[item], water_body(row[header.index("note")])]
            bad = has_unverified(row) or flagged_in_words(name, header, row)
            r.append("no" if bad else "yes")
            out_rows.append(r)
        with open(os.path.join(out, name), "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(out_header)
            w.writerows(out_rows)
        n_no = sum(1 for r in out_rows if r[-1] == "no")
        print(f"{name}: {len(out_rows)} rows, {n_no} unverified")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
