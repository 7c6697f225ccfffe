"""What an idea says, read clause by clause: oscillator levels, exits, filters, side.

Works on text from :func:`agents.offline.words.normalise`. A clause is an *entry* or an
*exit* clause by its verbs ("buy", "short" / "sell", "exit", "cover"); a clause after
"and"/"or" with no verb of its own continues the one before. The subject of a clause
(RSI, stochastic, CCI) carries over to the next clause that names none, so in "buy when
RSI crosses back above 30, exit above 70" the 70 is the RSI exit level.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from agents.offline.words import Clause, clauses, strip_arg_lists

OSCILLATORS = {"rsi": (r"\brsi\b|relative strength", "rsi_low", "rsi_high"),
               "stoch": (r"\bstochastic\b|%k", "stoch_low", "stoch_high"),
               "cci": (r"\bcci\b|commodity channel", "cci_low", "cci_high"),
               "willr": (r"williams|%r\b|\bwillr\b", "willr_low", "willr_high")}
FAMILY_OSCILLATOR = {"rsi_reversion": "rsi", "stoch_reversion": "stoch",
                     "cci_reversion": "cci", "willr_reversion": "willr"}
SHORT = (r"\bshort(?:s|ing|ed)?\b(?![- ](?:term|ma\b|ema|sma|moving|window|period|lookback"
         r"|average|length|one))|\bcover(?:s|ing)?\b")
LONG = (r"\bbuy(?:s|ing)?\b(?! to cover)|\b(?:go|goes|going) long\b|\blong\b(?![- ](?:term|ma\b"
        r"|ema|sma|moving|window|period|lookback|average|length|one))")
BOTH = (r"long and short|short and long|long/short|both (?:directions|sides|ways)"
        r"|shorts? (?:too|as well)|(?:and|also) short(?:s|ing)?\b|stop and reverse")
ABOVE = r"above|over|>|greater|exceed|rise|rises|climb|goes up"
OP = (r"(?P<op>(?:cross(?:es|ed|ing)?\s+(?:back\s+)?|(?:moves?|gets?|goes|is|rises?|climbs?"
      r"|drops?|falls?|dips?|trades?)\s+(?:back\s+)?|back\s+)?(?:above|below|under|over)"
      r"|>=?|<=?|greater than|less than|exceeds?|reach(?:es)?|hits?|touch(?:es)?|at|to)\s*"
      r"(?:(?:the\s+|its\s+)?(?:rsi|stochastic|cci|%k|%r|williams %r)\s+(?:level\s+)?"
      r"(?:of\s+)?)?")
LEVEL = re.compile(OP + r"(?P<n>[-+]?\d+(?:\.\d+)?)\b(?![.\d]|\s*(?:%|atr|[- ]?(?:day|bar|period"
                   r"|week|min|hour|h\b|sma|ema|ma\b|moving)))")
NAMED_LEVEL = re.compile(r"\b(?P<zone>oversold|overbought)\s+(?:level\s+|zone\s+|threshold\s+)?"
                         r"(?:of\s+|at\s+|=\s*|<\s*|>\s*|below\s+|under\s+|above\s+)?"
                         r"(?P<n>[-+]?\d+(?:\.\d+)?)\b(?!%)"
                         r"|(?P<n2>[-+]?\d+(?:\.\d+)?)\s+(?P<zone2>oversold|overbought)")
EXIT_VERB = (r"\bcover\w*|\bexit\w*|\bsell\w*|\bclose (?:the |out|it\b|position|trade)|\bget out"
             r"|\bflatten|\bout when|\btargets?\b")
ENTRY_VERB = r"\bbuy\w*|\blong\b|\benter\w*|\bentry\b|\bshort\w*|\bgo\b"
MA = re.compile(r"(?P<n>\d+)[- ]?(?:day|period|bar)?s?\s+(?:simple\s+|exponential\s+)?"
                r"(?P<f>sma|ema|ma|moving average)\b|\b(?P<f2>sma|ema|ma)\s*(?P<n2>\d+)\b")
TREND = [re.compile(r"(?:above|over|>)\s+(?:the\s+|its\s+|a\s+)?(?P<n>\d+)[- ]?(?:day|period|bar"
                    r"|week)?s?\s*(?P<f>sma|ema|ma|moving average)\b"),
         re.compile(r"(?P<n>\d+)(?:[- ]?(?:day|period|bar)s?)?\s*(?P<f>sma|ema|ma|moving average)?"
                    r"\s*trend filter"),
         re.compile(r"(?P<n>\d+)[- ]?(?:day|period|bar)s?\s*(?P<f>sma|ema|ma|moving average)?"
                    r"\s*filter"),
         re.compile(r"(?P<n>\d+)\s*(?P<f>sma|ema|ma|moving average)\s*filter"),
         re.compile(r"trend filter\s*(?:of\s+|at\s+|=\s*|:\s*)?(?:the\s+)?(?P<n>\d+)[- ]?"
                    r"(?:day|period|bar)?s?\s*(?P<f>sma|ema|ma|moving average)?"),
         re.compile(r"trend filter|with the trend|uptrend|long.term trend|regime filter"
                    r"|above (?:the |its )?(?:long.term )?(?:moving average|ma|sma|ema)\b")]
TIME = [re.compile(r"(?:after|hold(?:ing)?(?:\s+(?:it|them|for|the trade|positions?|max"
                   r"|maximum|up to|at most))*|max(?:imum)?(?:\s+(?:hold(?:ing)?|of|period"
                   r"|time))*|time exit(?:\s+(?:of|after|at))?|within)\s+(?P<n>\d+)\s*"
                   r"(?:trading\s+)?(?P<u>days?|bars?|sessions?|candles?|weeks?)\b"),
        re.compile(r"(?P<n>\d+)[- ](?P<u>day|bar|session|week)s?\s+(?:hold|time exit|max hold"
                   r"|holding period)"),
        re.compile(r"(?P<u>next|following) (?:day|bar|session|candle)")]
VOLATILITY = r"volatility filter|(?:high|rising|expanding) volatility|volatility expansion" \
             r"|\batr filter|\bvol filter|\bquiet\b|\bcalm\b"
ADX = re.compile(r"\badx\b|trend strength|strong trend")


@dataclass
class Reading:
    direction: str = "long"
    overrides: dict[str, float] = field(default_factory=dict)
    entry_mode: str = "cross"  # oscillators: "cross" back out of the zone or "level" in it
    exits: set[str] = field(default_factory=set)  # signal / ma / time / risk, as stated
    exit_ma: str | None = None
    exit_band: str | None = None  # Bollinger reversion: "upper" when it exits there
    exit_prev: str | None = None  # "close > yesterday's high": high / low / close
    time_exit: bool = False
    filters: list[str] = field(default_factory=list)
    trend_ma: str = "SMA"
    entry_text: str = ""  # the entry clauses, filter phrases removed: picks the family
    family: str = ""


def direction_of(t: str, family: str | None = None) -> str:
    if family == "gap_fade" and not re.search(r"\bbuy\w*\b|\bshort\w*\b", t):
        ups = re.search(r"gap[- ]?ups?\b|gaps? up\b", t)
        downs = re.search(r"gap[- ]?downs?\b|gaps? down\b", t)
        return "short" if ups and not downs else "long" if downs and not ups else "both"
    if re.search(BOTH, t):
        return "both"
    has_short, has_long = re.search(SHORT, t), re.search(LONG, t)
    return "both" if has_short and has_long else "short" if has_short else "long"


def time_exit_bars(t: str) -> int | None:
    for pat in TIME:
        if m := pat.search(t):
            if m["u"] in ("next", "following"):
                return 1
            return int(m["n"]) * (5 if m["u"].startswith("week") else 1)
    return None


def read_clauses(t: str, family_of: Callable[[str, str], str]) -> Reading:
    """Clause-level reading; ``family_of(entry_text, exit_text)`` names the entry family."""
    plain = strip_arg_lists(t)
    parts = clauses(plain)
    roles: list[str] = []
    for c in parts:
        own = ("entry" if re.search(r"\bsell(?:ing)? short|\bshort[- ]?sell", c.text)
               else "exit" if re.search(EXIT_VERB, c.text)
               else "entry" if re.search(ENTRY_VERB, c.text) else None)
        roles.append(own or (roles[-1] if roles and c.joined_by in ("and", "or") else "entry"))
    r = Reading()
    entry_bits = []
    for c, role in zip(parts, roles, strict=True):
        text = c.text
        if role == "entry":
            text = _read_filters(text, r)
            entry_bits.append(text)
    r.entry_text = " , ".join(entry_bits)
    exit_text = " , ".join(c.text for c, role in zip(parts, roles, strict=True) if role == "exit")
    family = r.family = family_of(r.entry_text.strip(" ,") or plain, exit_text)
    r.direction = direction_of(plain, family)
    bars = time_exit_bars(plain)
    if bars is not None:
        r.time_exit, r.overrides["max_bars"] = True, float(bars)
    _read_levels(parts, roles, family, r)
    if m := re.search(r"(?:levels?|bands?)\s*(?:of\s*|at\s*)?\+/-\s*(\d+)|\+/-\s*(\d+)", plain):
        n = float(m[1] or m[2])
        _set_levels(family, -n, n, r)
    elif m := re.search(r"levels?\s*(?:of\s*|at\s*)?(\d+)\s*(?:/|and|,)\s*(\d+)"
                        r"|(\d+)\s*/\s*(\d+)\s*levels?", plain):
        _set_levels(family, float(m[1] or m[3]), float(m[2] or m[4]), r)
    r.entry_text = r.entry_text or plain
    return r


def _set_levels(family: str, low: float, high: float, r: Reading) -> None:
    osc = FAMILY_OSCILLATOR.get(family)
    if osc:
        _, low_name, high_name = OSCILLATORS[osc]
        r.overrides[low_name], r.overrides[high_name] = low, high


def _read_filters(text: str, r: Reading) -> str:
    """Note the filters an entry clause asks for; return the clause without them."""
    for i, pat in enumerate(TREND):
        m = pat.search(text)
        if m and i == 0 and ("cross" in text or MA.search(text[:m.start()]) or re.search(
                r"\bstd\b|standard dev|sigma|deviation", text[:m.start()])):
            continue  # "10 EMA crosses above / is above the 30 EMA", "3 std above the 20 SMA"
        if m:
            if "trend" not in r.filters:
                r.filters.append("trend")
            groups = m.groupdict()
            if groups.get("n"):
                r.overrides["trend_period"] = float(groups["n"])
            if groups.get("f") == "ema":
                r.trend_ma = "EMA"
            text = text[:m.start()] + " " + text[m.end():]
            break
    if ADX.search(text):
        if "adx" not in r.filters:
            r.filters.append("adx")
        if m := re.search(r"\badx\s*(?:is\s+|stays\s+|reads\s+)?(?:>=?|above|over|greater than"
                          r"|at least|exceeds?)\s*(\d+)", text):
            r.overrides["adx_min"] = float(m[1])
        text = ADX.sub(" ", text)
    if re.search(VOLATILITY, text) and "volatility" not in r.filters:
        r.filters.append("volatility")
    return text


def _read_levels(parts: list[Clause], roles: list[str], family: str, r: Reading) -> None:
    """Oscillator levels and the exits each exit clause states."""
    osc_name = FAMILY_OSCILLATOR.get(family)
    default_side = "short" if r.direction == "short" else "long"
    subject: str | None = None
    mode_set = False
    side = default_side
    for c, role in zip(parts, roles, strict=True):
        text = c.text
        named = [k for k, (pat, _, _) in OSCILLATORS.items() if re.search(pat, text)]
        subject = named[-1] if named else subject
        own_side = ("short" if re.search(SHORT, text) else
                    "long" if re.search(LONG + r"|\bsell\b", text) else None)
        side = own_side or (side if c.joined_by in ("and", "or") else default_side)
        found: set[str] = set()
        if osc_name and subject == osc_name:
            _, low, high = OSCILLATORS[osc_name]
            for named_m in NAMED_LEVEL.finditer(text):
                zone = named_m["zone"] or named_m["zone2"]
                value = float(named_m["n"] or named_m["n2"])
                r.overrides[low if zone == "oversold" else high] = value
                found.add("signal")
            if m := LEVEL.search(text):
                op = m["op"]
                above = re.search(ABOVE, op) is not None
                crossing = "cross" in op or "back" in op or re.search(
                    r"\bcross\w*\s+(?:back\s+)?(?:up|down)|\brising\b|\bfalling\b|\bturns? "
                    r"(?:up|down)|\bhooks? (?:up|down)", text) is not None
                long_side = side == "long"
                if role == "entry":
                    r.overrides[low if long_side else high] = float(m["n"])
                    if not mode_set:
                        in_zone = (not above) if long_side else above
                        r.entry_mode = "level" if in_zone and not crossing else "cross"
                        mode_set = True
                else:
                    r.overrides[high if long_side else low] = float(m["n"])
                found.add("signal")
        if role != "exit":
            continue
        if family != "ma_cross" and (ma_m := MA.search(text)):
            r.exit_ma = "EMA" if (ma_m["f"] or ma_m["f2"]) == "ema" else "SMA"
            r.overrides["exit_ma_period"] = float(ma_m["n"] or ma_m["n2"])
            found.add("ma")
        if time_exit_bars(text) is not None:
            found.add("time")
        if prev_m := re.search(r"(?:yesterday'?s|previous|prior|last) (?:day'?s |bar'?s )?"
                               r"(high|low|close)\b|\bfirst (up|down) close\b", text):
            r.exit_prev = "close" if prev_m[2] else prev_m[1]
            found.add("prev")
        if family == "bb_reversion" and re.search(r"\b(?:upper|opposite|other) (?:bollinger )?band", text):
            r.exit_band = "upper"
            found.add("signal")
        if low_m := re.search(r"(\d+)[- ]?(day|bar|period|week)s?\s+lows?\b", text):
            r.overrides["dc_exit_period"] = float(low_m[1]) * (5 if low_m[2] == "week" else 1)
            found.add("signal")
        if not found and re.search(r"stop|trail|chandelier|target|profit|\d%|\datr", text):
            found.add("risk")
        r.exits |= found or {"signal"}
