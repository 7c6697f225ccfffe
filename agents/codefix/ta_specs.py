"""Indicator tables: pandas_ta functions and ``ta`` (bukosabino) classes -> talib.

Defaults are the libraries' own (pandas_ta ``sma`` length 10, talib's is 30: the mapped
call always passes the period explicitly so results match the original library).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Output:
    prefix: str  # pandas_ta column prefix (BBU) or ta-library method name (bollinger_hband)
    func: str | None  # talib function; None = no equivalent
    index: int | None = None  # index into talib's tuple result


@dataclass(frozen=True)
class Spec:
    func: str
    inputs: tuple[str, ...]
    params: tuple[tuple[str, str, object], ...]  # (library kw, talib kw(s) joined by '+', default)
    outputs: tuple[Output, ...] = ()  # in pandas_ta column order; () = single output
    fixed: tuple[tuple[str, object], ...] = ()

    def output(self, key: str) -> Output | None:
        exact = next((o for o in self.outputs if o.prefix == key), None)
        head = key.split("_")[0]
        return exact or next((o for o in self.outputs if o.prefix == head), None)


def _one(func: str, inputs: tuple[str, ...] = ("close",), length: object = 14) -> Spec:
    return Spec(func, inputs, (("length", "timeperiod", length),))


HLC = ("high", "low", "close")
PTA: dict[str, Spec] = {
    "rsi": _one("RSI"), "sma": _one("SMA", length=10), "ema": _one("EMA", length=10),
    "wma": _one("WMA", length=10), "dema": _one("DEMA", length=10),
    "tema": _one("TEMA", length=10), "roc": _one("ROC", length=10),
    "mom": _one("MOM", length=10), "atr": _one("ATR", HLC), "natr": _one("NATR", HLC),
    "cci": _one("CCI", HLC), "willr": _one("WILLR", HLC),
    "mfi": _one("MFI", HLC + ("volume",)),
    "obv": Spec("OBV", ("close", "volume"), ()),
    "adx": Spec("ADX", HLC, (("length", "timeperiod", 14),),
                (Output("ADX", "ADX"), Output("DMP", "PLUS_DI"), Output("DMN", "MINUS_DI"))),
    "bbands": Spec("BBANDS", ("close",),
                   (("length", "timeperiod", 5), ("std", "nbdevup+nbdevdn", 2.0)),
                   (Output("BBL", "BBANDS", 2), Output("BBM", "BBANDS", 1),
                    Output("BBU", "BBANDS", 0), Output("BBB", None), Output("BBP", None))),
    "macd": Spec("MACD", ("close",),
                 (("fast", "fastperiod", 12), ("slow", "slowperiod", 26),
                  ("signal", "signalperiod", 9)),
                 (Output("MACD", "MACD", 0), Output("MACDh", "MACD", 2),
                  Output("MACDs", "MACD", 1))),
    "stoch": Spec("STOCH", HLC,
                  (("k", "fastk_period", 14), ("d", "slowd_period", 3),
                   ("smooth_k", "slowk_period", 3)),
                  (Output("STOCHk", "STOCH", 0), Output("STOCHd", "STOCH", 1))),
}
HARMLESS_KW = {"fillna", "talib", "append", "offset"}


def _w(func: str, window: object, inputs: tuple[str, ...] = ("close",), method: str = "") -> Spec:
    return Spec(func, inputs, (("window", "timeperiod", window),),
                (Output(method or func.lower(), func),))


TA_CLASSES: dict[str, Spec] = {
    "RSIIndicator": _w("RSI", 14, method="rsi"),
    "SMAIndicator": _w("SMA", 14, method="sma_indicator"),
    "EMAIndicator": _w("EMA", 14, method="ema_indicator"),
    "WMAIndicator": _w("WMA", 9, method="wma"),
    "ROCIndicator": _w("ROC", 12, method="roc"),
    "CCIIndicator": _w("CCI", 20, HLC, method="cci"),
    "AverageTrueRange": _w("ATR", 14, HLC, method="average_true_range"),
    "MFIIndicator": _w("MFI", 14, HLC + ("volume",), method="money_flow_index"),
    "WilliamsRIndicator": Spec("WILLR", HLC, (("lbp", "timeperiod", 14),),
                               (Output("williams_r", "WILLR"),)),
    "OnBalanceVolumeIndicator": Spec("OBV", ("close", "volume"), (),
                                     (Output("on_balance_volume", "OBV"),)),
    "ADXIndicator": Spec("ADX", HLC, (("window", "timeperiod", 14),),
                         (Output("adx", "ADX"), Output("adx_pos", "PLUS_DI"),
                          Output("adx_neg", "MINUS_DI"))),
    "BollingerBands": Spec("BBANDS", ("close",),
                           (("window", "timeperiod", 20), ("window_dev", "nbdevup+nbdevdn", 2)),
                           (Output("bollinger_hband", "BBANDS", 0),
                            Output("bollinger_mavg", "BBANDS", 1),
                            Output("bollinger_lband", "BBANDS", 2))),
    "MACD": Spec("MACD", ("close",),
                 (("window_slow", "slowperiod", 26), ("window_fast", "fastperiod", 12),
                  ("window_sign", "signalperiod", 9)),
                 (Output("macd", "MACD", 0), Output("macd_signal", "MACD", 1),
                  Output("macd_diff", "MACD", 2))),
    "StochasticOscillator": Spec("STOCH", HLC,
                                 (("window", "fastk_period", 14),
                                  ("smooth_window", "slowd_period", 3)),
                                 (Output("stoch", "STOCH", 0), Output("stoch_signal", "STOCH", 1)),
                                 fixed=(("slowk_period", 1),)),
}
