"""A made-up company's finished repair jobs, for bench/triage.py and the sandbox's demo.

    python bench/triage_history.py [--jobs 3000] [--seed 7] [--out bench/triage_history.csv]

writes the history in the format `python -m bot import-history` reads, and the parts it uses
(bench/triage_parts.csv, the `import-parts` format). The shipped files were made with the
defaults.

How a job is made (and what is kept out of the file). Each category has a handful of faults
with real-world shares; a fault has the parts a technician fits for it, symptoms in the
customer's words (Chinese and English), and the technicians' usual diagnoses. Symptoms
overlap on purpose: "不脱水" is said of a failed drain pump, a clogged drain and worn motor
brushes alike; "不制冷" of half a refrigerator's faults. A job draws its fault (some models
have a weak part of their own), then:
  - the customer's words: one to three of that fault's symptoms, a quarter of them in
    English, often with chatter around them ("用了五年了", "please come asap"), some with
    typos (a wrong character of the same sound, a dropped or swapped letter), and about one
    in eight only vague ("坏了，不能用了", "not working");
  - what was really used: the fault's parts, sometimes one more (a worn seal found on the
    way), sometimes none (it was only loose), quantities as they come;
  - the diagnosis in the technician's words;
  - whether the first visit fixed it: yes when the parts were on the standard van of that
    era, else mostly no (a second visit with the part).
The fault's name is *not* written anywhere: the file holds only what a real company keeps
(description, brand, model, diagnosis, parts used, first-visit fixed, date), which is all the
suggester may learn from.
"""
from __future__ import annotations

import argparse
import csv
import random
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent

# sku: (zh name, en name, price in yuan, warranty months)
PARTS = {
    "WM-PUMP": ("排水泵", "Drain pump", 120, 6), "WM-BRUSH": ("电机碳刷", "Motor brushes", 40, 3),
    "WM-LOCK": ("门锁开关", "Door lock switch", 85, 6), "WM-BEAR": ("滚筒轴承", "Drum bearing", 60, 6),
    "WM-SEAL": ("轴承油封", "Bearing seal", 25, 3), "WM-VALVE": ("进水阀", "Inlet valve", 70, 6),
    "WM-PCB": ("洗衣机电脑板", "Washer control board", 380, 12),
    "RF-SENS": ("冰箱温度传感器", "Fridge temperature sensor", 45, 6),
    "RF-RELAY": ("启动继电器", "Start relay", 35, 6), "RF-OLP": ("过载保护器", "Overload protector", 30, 6),
    "RF-HEAT": ("化霜加热管", "Defrost heater", 90, 6), "RF-DTIM": ("化霜定时器", "Defrost timer", 65, 6),
    "RF-FAN": ("冰箱风扇电机", "Fridge fan motor", 110, 6), "RF-GASK": ("门封条", "Door gasket", 80, 3),
    "RF-GAS": ("R600a 制冷剂", "R600a refrigerant", 150, 3),
    "AC-CAP": ("空调启动电容", "AC run capacitor", 55, 6),
    "AC-GAS": ("R32 冷媒", "R32 refrigerant", 180, 3),
    "AC-FANM": ("外机风扇电机", "Outdoor fan motor", 260, 12),
    "AC-PCB": ("空调控制板", "AC control board", 420, 12),
    "AC-SENS": ("空调温度传感器", "AC temperature sensor", 40, 6),
    "WH-ELEM": ("加热管", "Heating element", 110, 12), "WH-TSTAT": ("温控器", "Thermostat", 60, 6),
    "WH-ANODE": ("镁棒", "Anode rod", 50, 0), "WH-PRV": ("安全阀", "Relief valve", 45, 6),
    "WH-IGN": ("点火针", "Igniter", 40, 6), "WH-PLUG": ("漏电保护插头", "RCD plug", 75, 6),
    "RH-MOTOR": ("油烟机电机", "Hood motor", 320, 12), "RH-CAP": ("油烟机电容", "Hood capacitor", 30, 6),
    "RH-SW": ("按键开关板", "Switch panel", 95, 6), "RH-VALVE": ("止回阀", "Check valve", 35, 3),
    "MW-MAG": ("磁控管", "Magnetron", 160, 12), "MW-HVC": ("高压电容", "HV capacitor", 45, 6),
    "MW-DIODE": ("高压二极管", "HV diode", 20, 6), "MW-DSW": ("微波炉门开关", "Door switch", 15, 3),
    "MW-FUSE": ("保险管", "Fuse", 5, 0), "MW-TMOT": ("转盘电机", "Turntable motor", 35, 6),
    "TV-LED": ("背光灯条", "Backlight strip", 90, 6), "TV-PWR": ("电源板", "Power board", 260, 12),
    "TV-MAIN": ("电视主板", "Main board", 450, 12), "TV-TCON": ("逻辑板", "T-con board", 180, 6),
}

# category: (brands with models, faults). A fault: (share, parts [(sku, (quantities))],
# zh symptoms, en symptoms, zh diagnoses, en diagnoses, {model: share multiplier}).
F = tuple
CATEGORIES = {
    "washing_machine": (
        {"海尔": ["EG100", "XQG80"], "小天鹅": ["TG100V", "TB80"], "Siemens": ["WM12N", "WG42"],
         "美的": ["MG100", "MB80"]},
        [
            F((18, [("WM-PUMP", (1,))], ["不排水", "排水很慢", "不脱水", "有嗡嗡声", "显示E21",
                                         "桶里一直有水"],
               ["won't drain", "water stays in the drum", "drum won't spin", "humming noise",
                "error E21"], ["排水泵损坏，更换排水泵", "排水泵卡死，已更换"],
               ["drain pump failed, replaced", "drain pump seized"], {"EG100": 2.5})),
            F((14, [], ["不排水", "排水很慢", "有异味", "不脱水", "桶里一直有水"],
               ["won't drain", "smells bad", "water stays in the drum", "slow draining"],
               ["排水过滤器堵塞，已清理", "排水管堵了，疏通"], ["drain filter clogged, cleaned"], {})),
            F((12, [("WM-BRUSH", (2,))], ["不脱水", "滚筒不转", "有焦味", "转不动", "有嗡嗡声"],
               ["drum won't spin", "burning smell", "motor hums but nothing turns"],
               ["电机碳刷磨损，更换碳刷", "碳刷磨光了"], ["motor brushes worn, replaced"],
               {"XQG80": 2.0, "MB80": 2.0})),
            F((12, [("WM-LOCK", (1,))], ["门打不开", "不启动", "门锁灯一直闪", "关上门也不能洗",
                                         "显示E30"],
               ["door won't lock", "won't start", "door lock light flashing", "door stuck shut"],
               ["门锁开关坏了，更换", "门锁故障"], ["door lock switch faulty, replaced"], {})),
            F((11, [("WM-BEAR", (1, 2)), ("WM-SEAL", (1,))],
               ["脱水时噪音很大", "轰隆隆响", "机身晃动", "底部漏水", "甩干时响声很大"],
               ["loud noise when spinning", "grinding noise", "shakes a lot", "leaks underneath"],
               ["轴承磨损，更换轴承和油封", "滚筒轴承坏"], ["drum bearing worn, replaced with seal"],
               {"WG42": 2.0})),
            F((8, [("WM-VALVE", (1,))], ["不进水", "进水很慢", "显示E10", "一直在进水"],
               ["won't fill", "fills very slowly", "keeps filling"],
               ["进水阀损坏，更换", "进水阀线圈烧了"], ["inlet valve faulty, replaced"], {})),
            F((5, [("WM-PCB", (1,))], ["不启动", "按键没反应", "显示乱码", "程序乱跳"],
               ["won't start", "buttons don't respond", "display shows garbage"],
               ["电脑板损坏，更换", "主控板烧了"], ["control board failed, replaced"], {})),
        ]),
    "refrigerator": (
        {"海尔": ["BCD-500WDGF", "BCD-216"], "西门子": ["KA92", "KK28"], "美的": ["BCD-450", "BCD-213"],
         "容声": ["BCD-526"]},
        [
            F((15, [("RF-RELAY", (1,)), ("RF-OLP", (1,))], ["不制冷", "压缩机不启动", "一直咔哒响",
                                                          "完全不冷了"],
               ["not cooling", "compressor won't start", "clicking sound", "fridge is warm"],
               ["启动继电器和过载保护器坏，更换", "压缩机启动器故障"],
               ["start relay and overload protector failed"], {"BCD-216": 2.0})),
            F((14, [("RF-HEAT", (1,))], ["结冰", "后壁结霜严重", "冷藏不冷", "冷冻室结满霜",
                                         "底部漏水"],
               ["ice build-up", "heavy frost on the back", "fridge section not cold",
                "leaks water"],
               ["化霜加热管断，更换", "化霜不良"], ["defrost heater open, replaced"],
               {"KA92": 2.0})),
            F((12, [("RF-SENS", (1,))], ["冷藏室不冷", "温度不准", "一直运行不停", "冷冻太冷"],
               ["temperature wrong", "runs all the time", "freezer too cold", "fridge not cold"],
               ["温度传感器失效，更换", "感温头坏"], ["temperature sensor faulty, replaced"], {})),
            F((11, [("RF-FAN", (1,))], ["有异响", "噪音大", "冷冻室不冷", "嗡嗡响"],
               ["noisy", "rattling noise", "freezer not cold", "fan noise"],
               ["风扇电机坏，更换", "冷冻风机不转"], ["fan motor failed, replaced"], {"KK28": 2.0})),
            F((9, [("RF-GASK", (1,))], ["门关不严", "结霜", "门封漏气", "门边结露"],
               ["door doesn't seal", "frost near door", "condensation on door"],
               ["门封条老化，更换", "门封变形"], ["door gasket worn, replaced"], {})),
            F((9, [], ["漏水", "底部有水", "冷藏室有积水", "结冰"],
               ["water on the floor", "water inside", "leaks water"],
               ["排水孔堵塞，已疏通", "排水管结冰，化开疏通"], ["defrost drain blocked, cleared"], {})),
            F((7, [("RF-GAS", (1,))], ["不制冷", "制冷很弱", "有嘶嘶声", "完全不冷了"],
               ["not cooling", "barely cools", "hissing sound"],
               ["系统漏氟，补焊加制冷剂", "冷媒泄漏"], ["refrigerant leak, brazed and recharged"], {})),
        ]),
    "air_conditioner": (
        {"格力": ["KFR-35GW", "KFR-26GW", "KFR-72LW"], "美的": ["KFR-35GW/N8", "KFR-51LW"],
         "海尔": ["KFR-35GW/81"], "Daikin": ["FTXS35"]},
        [
            F((17, [("AC-CAP", (1,))], ["不制冷", "外机不转", "嗡嗡响", "开机一会就停"],
               ["not cooling", "outdoor unit won't run", "humming outdoors", "blows warm air"],
               ["压缩机启动电容失效，更换", "电容鼓包"], ["run capacitor failed, replaced"],
               {"KFR-26GW": 2.0})),
            F((16, [("AC-GAS", (1, 2))], ["不够冷", "制冷效果差", "管子结霜", "出风不凉"],
               ["not cold enough", "weak cooling", "frost on the pipes", "blows warm air"],
               ["缺氟，补充冷媒", "铜管接头漏，补漏加氟"], ["low on refrigerant, recharged"], {})),
            F((15, [], ["有异味", "风很小", "不够冷", "出风有霉味"],
               ["smells musty", "weak airflow", "not cold enough"],
               ["滤网和蒸发器脏堵，清洗", "做了深度清洗"], ["filters and coil dirty, cleaned"], {})),
            F((12, [], ["漏水", "室内机滴水", "往下滴水"],
               ["leaking water", "dripping indoors", "water drips from the unit"],
               ["排水管堵塞，疏通", "排水管倒坡，重新固定"], ["drain line blocked, cleared"], {})),
            F((9, [("AC-FANM", (1,))], ["外机不转", "不制冷", "外机有异响", "外机很烫"],
               ["outdoor fan not spinning", "not cooling", "noise from outdoor unit"],
               ["外机风扇电机烧，更换", "外风机坏"], ["outdoor fan motor burnt, replaced"],
               {"KFR-72LW": 2.0})),
            F((7, [("AC-PCB", (1,))], ["遥控没反应", "不开机", "显示E1", "指示灯乱闪"],
               ["remote doesn't work", "won't turn on", "error E1", "lights blinking"],
               ["控制板损坏，更换", "主板故障"], ["control board failed, replaced"], {})),
            F((6, [("AC-SENS", (1,))], ["频繁启停", "一会儿停一会儿开", "显示F3", "温度不准"],
               ["keeps stopping and starting", "error F3", "temperature wrong"],
               ["管温传感器损坏，更换", "感温包失效"], ["temperature sensor faulty, replaced"], {})),
        ]),
    "water_heater": (
        {"A.O.史密斯": ["E60VN", "E80"], "海尔": ["EC6002", "JSQ25"], "万和": ["JSQ20"],
         "美的": ["F60-21"]},
        [
            F((20, [("WH-ELEM", (1,))], ["不热", "水不热", "一开就跳闸", "加热很慢"],
               ["no hot water", "trips the breaker", "heats very slowly"],
               ["加热管烧断，更换", "加热管结垢击穿"], ["heating element burnt out, replaced"],
               {"EC6002": 2.0})),
            F((14, [("WH-TSTAT", (1,))], ["水太烫", "温度不准", "不加热", "温度忽冷忽热"],
               ["water too hot", "temperature jumps", "won't heat"],
               ["温控器失灵，更换", "温控器故障"], ["thermostat faulty, replaced"], {})),
            F((12, [("WH-ANODE", (1,))], ["水有异味", "水发黄", "出水有杂质"],
               ["water smells", "yellow water", "bits in the water"],
               ["镁棒耗尽，更换并清洗内胆", "内胆结垢，换镁棒"], ["anode rod used up, replaced"], {})),
            F((12, [("WH-PRV", (1,))], ["漏水", "安全阀滴水", "一直在滴水", "底部有水"],
               ["leaking", "relief valve dripping", "water under the heater"],
               ["安全阀损坏，更换", "泄压阀漏"], ["relief valve leaking, replaced"], {})),
            F((12, [("WH-IGN", (1,))], ["打不着火", "点不着", "有咔哒声但不着火", "熄火"],
               ["won't ignite", "clicks but no flame", "flame goes out"],
               ["点火针积碳，更换", "点火针断"], ["igniter worn, replaced"], {"JSQ25": 2.0, "JSQ20": 2.0})),
            F((10, [("WH-PLUG", (1,))], ["跳闸", "插头漏电", "不通电", "漏电保护一直跳"],
               ["trips the breaker", "no power", "the plug keeps tripping"],
               ["漏电保护插头坏，更换", "插头漏保失效"], ["RCD plug faulty, replaced"], {})),
            F((8, [], ["不热", "出水不热", "热水很少"], ["no hot water", "only lukewarm"],
               ["设置问题，重新设定", "进水阀门没开全，已调整"], ["settings wrong, adjusted"], {})),
        ]),
    "range_hood": (
        {"老板": ["CXW-200", "CXW-260"], "方太": ["EMD2", "JQ26"], "华帝": ["CXW-228"]},
        [
            F((22, [("RH-CAP", (1,))], ["不转", "嗡嗡响不转", "转得很慢", "吸力小"],
               ["fan won't turn", "hums but doesn't spin", "runs slowly"],
               ["电容失效，更换", "启动电容坏"], ["capacitor failed, replaced"], {})),
            F((18, [("RH-MOTOR", (1,))], ["吸力小", "不转", "噪音大", "有焦味"],
               ["weak suction", "won't turn", "very loud", "burning smell"],
               ["电机烧，更换电机", "电机轴承坏"], ["motor burnt, replaced"], {"CXW-200": 2.0})),
            F((18, [], ["吸力小", "滴油", "噪音大", "油很多"],
               ["weak suction", "drips oil", "noisy"],
               ["风轮油污太多，清洗", "拆洗风轮"], ["fan wheel greasy, cleaned"], {})),
            F((14, [("RH-SW", (1,))], ["按键失灵", "不开机", "灯不亮", "按了没反应"],
               ["buttons don't work", "won't turn on", "light doesn't work"],
               ["按键板坏，更换", "开关板进油短路"], ["switch panel failed, replaced"], {"EMD2": 2.0})),
            F((10, [("RH-VALVE", (1,))], ["倒烟", "有油烟味回流", "关了也有味道"],
               ["smoke comes back", "smell comes back in"],
               ["止回阀卡住，更换", "止回阀坏"], ["check valve stuck, replaced"], {})),
        ]),
    "microwave": (
        {"美的": ["M1-L213B", "M3-L205"], "格兰仕": ["G80F23", "P70D20"], "松下": ["NN-GT35"]},
        [
            F((22, [("MW-MAG", (1,))], ["不加热", "转但是不热", "热不了饭", "有焦味"],
               ["doesn't heat", "runs but food stays cold", "burning smell"],
               ["磁控管老化，更换", "磁控管坏"], ["magnetron failed, replaced"], {"G80F23": 2.0})),
            F((15, [("MW-HVC", (1,)), ("MW-DIODE", (1,))], ["不加热", "嗡嗡响很大", "加热时有怪声"],
               ["doesn't heat", "loud buzzing", "strange noise when heating"],
               ["高压电容和二极管击穿，更换", "高压部分故障"], ["HV capacitor and diode failed"], {})),
            F((17, [("MW-DSW", (1, 2))], ["不启动", "开门灯不亮", "按开始没反应", "关门后不工作"],
               ["won't start", "light off when door opens", "start does nothing"],
               ["门开关坏，更换", "门微动开关失效"], ["door switch failed, replaced"], {})),
            F((14, [("MW-FUSE", (1,))], ["完全不通电", "没反应", "屏幕不亮"],
               ["completely dead", "no display", "nothing happens"],
               ["保险管烧断，更换", "保险丝断"], ["fuse blown, replaced"], {})),
            F((12, [("MW-TMOT", (1,))], ["转盘不转", "托盘不转"], ["turntable does not spin",
                                                                 "plate won't turn"],
               ["转盘电机坏，更换", "转盘电机烧"], ["turntable motor failed, replaced"], {})),
        ]),
    "tv": (
        {"TCL": ["55C735", "65Q10"], "海信": ["55E3F", "65E7"], "小米": ["L55M5"],
         "Sony": ["KD-55X80"]},
        [
            F((22, [("TV-LED", (1, 2, 3))], ["有声音没图像", "黑屏有声音", "屏幕很暗", "闪一下就黑"],
               ["sound but no picture", "screen goes dark", "picture very dim",
                "screen flickers and goes dark"],
               ["背光灯条烧，更换灯条", "灯条坏"], ["backlight strips failed, replaced"],
               {"55C735": 2.0, "55E3F": 2.0})),
            F((18, [("TV-PWR", (1,))], ["不开机", "指示灯不亮", "完全没反应", "开机就断电"],
               ["won't turn on", "no standby light", "completely dead"],
               ["电源板坏，更换", "电源板电容鼓包"], ["power board failed, replaced"], {})),
            F((14, [("TV-MAIN", (1,))], ["反复重启", "卡在开机画面", "开机后自动关机"],
               ["keeps restarting", "stuck on logo", "turns itself off"],
               ["主板故障，更换", "主板存储坏"], ["main board failed, replaced"], {"L55M5": 2.0})),
            F((14, [], ["卡顿", "没有信号", "画面卡", "遥控不灵"],
               ["laggy", "no signal", "remote doesn't work"],
               ["系统升级后恢复", "恢复出厂设置"], ["software update fixed it"], {})),
            F((12, [("TV-TCON", (1,))], ["花屏", "有竖线", "画面重影", "颜色不对"],
               ["garbled picture", "vertical lines", "colours wrong"],
               ["逻辑板坏，更换", "逻辑板故障"], ["T-con board failed, replaced"], {})),
        ]),
}
CATEGORY_SHARE = {"air_conditioner": 24, "washing_machine": 20, "refrigerator": 17,
                  "water_heater": 14, "tv": 10, "range_hood": 8, "microwave": 7}
VAGUE_ZH = ["坏了", "不能用了", "有问题，麻烦师傅来看看", "用不了", "出故障了", "不正常"]
VAGUE_EN = ["not working", "broken", "stopped working", "something is wrong with it"]
CHATTER_ZH = ["用了五年了", "师傅请尽快来", "昨天开始的", "家里有老人，麻烦早点", "之前修过一次",
              "上周还好好的", "请带好工具"]
CHATTER_EN = ["please come asap", "started yesterday", "it is about 5 years old",
              "was fine last week", "repaired once before"]
# Wrong characters of the same sound, as a phone's pinyin keyboard makes them.
HOMOPHONES = {"脱": "托", "排": "牌", "制": "至", "冷": "泠", "漏": "露", "响": "想", "热": "惹",
              "转": "赚", "启": "起", "霜": "双", "灯": "登"}


def _typo_zh(text: str, rng: random.Random) -> str:
    spots = [i for i, ch in enumerate(text) if ch in HOMOPHONES]
    if not spots:
        return text
    i = rng.choice(spots)
    return text[:i] + HOMOPHONES[text[i]] + text[i + 1:]


def _typo_en(text: str, rng: random.Random) -> str:
    words = text.split()
    long = [i for i, w in enumerate(words) if len(w) > 4]
    if not long:
        return text
    i = rng.choice(long)
    w = words[i]
    j = rng.randrange(1, len(w) - 2)
    words[i] = (w[:j] + w[j + 1] + w[j] + w[j + 2:]) if rng.random() < 0.5 else w[:j] + w[j + 1:]
    return " ".join(words)


def _pick(rng, weighted):
    total = sum(w for w, _ in weighted)
    x = rng.random() * total
    for w, item in weighted:
        x -= w
        if x <= 0:
            return item
    return weighted[-1][1]


def job(rng: random.Random, category: str) -> dict:
    brands, faults = CATEGORIES[category]
    brand = rng.choice(sorted(brands))
    model = rng.choice(brands[brand])
    fault = _pick(rng, [(f[0] * f[6].get(model, 1.0), f) for f in faults])
    _, parts, zh, en, diag_zh, diag_en, _ = fault
    english = rng.random() < 0.25
    symptoms, vague, chatter, typo = (en, VAGUE_EN, CHATTER_EN, _typo_en) if english else \
        (zh, VAGUE_ZH, CHATTER_ZH, _typo_zh)
    if rng.random() < 0.12:
        words = [rng.choice(vague)]
    else:
        words = rng.sample(symptoms, min(len(symptoms), _pick(rng, [(5, 1), (4, 2), (1, 3)])))
    if rng.random() < 0.4:
        words.insert(rng.randrange(len(words) + 1), rng.choice(chatter))
    description = (", " if english else "，").join(words)
    if rng.random() < 0.2:
        description = typo(description, rng)
    if english:
        description = description[0].upper() + description[1:]
    used = [(sku, rng.choice(quantities)) for sku, quantities in parts]
    roll = rng.random()
    if used and roll < 0.05:
        used = []  # only loose / dirty after all
    elif used and roll < 0.12:
        extra = rng.choice([s for s in PARTS if s.split("-")[0] == used[0][0].split("-")[0]])
        if extra not in dict(used):
            used.append((extra, 1))  # found another worn part on the way
    diagnosis = rng.choice(diag_en if (english and rng.random() < 0.5) else diag_zh)
    return {"category": category, "brand": brand, "model": model, "description": description,
            "diagnosis": diagnosis, "parts": used}


def make(jobs: int = 3000, seed: int = 7, start: date = date(2024, 1, 1)) -> list[dict]:
    rng = random.Random(seed)
    categories = [(w, c) for c, w in CATEGORY_SHARE.items()]
    days = 730
    rows = []
    for n in range(jobs):
        row = job(rng, _pick(rng, categories))
        row["job"] = f"H{n + 1:05d}"
        row["closed_on"] = start + timedelta(days=n * days // jobs)
        # The standard van of the day carried the cheap consumables: a job needing only those
        # (or no part) was fixed at once; otherwise mostly a second visit with the part.
        cheap = all(PARTS[sku][2] <= 40 for sku, _ in row["parts"])
        row["first_visit_fixed"] = cheap or rng.random() < 0.35
        rows.append(row)
    return rows


def parts_text(parts) -> str:
    return "; ".join(f"{sku}*{quantity}" for sku, quantity in parts)


def write(rows: list[dict], path: Path) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["job", "closed_on", "category", "brand", "model", "description",
                      "diagnosis", "parts_used", "first_visit_fixed"])
        for r in rows:
            out.writerow([r["job"], r["closed_on"].isoformat(), r["category"], r["brand"],
                          r["model"], r["description"], r["diagnosis"], parts_text(r["parts"]),
                          "yes" if r["first_visit_fixed"] else "no"])


def write_parts(path: Path, language: str = "zh") -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["sku", "name", "price", "warranty_months", "min_level"])
        for sku, (zh, en, price, months) in PARTS.items():
            out.writerow([sku, zh if language == "zh" else en, price, months, 2])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", default=str(HERE / "triage_history.csv"))
    parser.add_argument("--parts-out", default=str(HERE / "triage_parts.csv"))
    args = parser.parse_args()
    write(make(args.jobs, args.seed), Path(args.out))
    write_parts(Path(args.parts_out))
    print(f"{args.jobs} jobs written to {args.out}, {len(PARTS)} parts to {args.parts_out}")


if __name__ == "__main__":
    main()
