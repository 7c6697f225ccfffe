"""Schema migrations. ``PRAGMA user_version`` = number of scripts applied.

Append new scripts; never edit an applied one. Each runs in ONE transaction together
with the ``user_version`` bump, so a crash mid-migration leaves the old schema intact.
Timestamps: ``*_at`` TEXT ISO-8601 UTC for people, ``*_ts`` REAL epoch seconds for
ordering and comparisons (queue times, budget windows).
"""

from __future__ import annotations

V1 = """
CREATE TABLE ideas (
    id             INTEGER PRIMARY KEY,
    source         TEXT NOT NULL CHECK (source IN ('file', 'cli', 'generator')),
    source_path    TEXT,
    text           TEXT NOT NULL,
    content_sha256 TEXT NOT NULL UNIQUE,
    status         TEXT NOT NULL DEFAULT 'new',
    reason         TEXT,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE INDEX ideas_status ON ideas (status);

CREATE TABLE llm_calls (
    id             INTEGER PRIMARY KEY,
    provider       TEXT NOT NULL,
    model          TEXT NOT NULL DEFAULT '',
    purpose        TEXT NOT NULL DEFAULT '',
    prompt_version TEXT NOT NULL DEFAULT '',
    tokens_in      INTEGER NOT NULL DEFAULT 0,
    tokens_out     INTEGER NOT NULL DEFAULT 0,
    cost_usd       REAL NOT NULL DEFAULT 0,
    latency_ms     REAL NOT NULL DEFAULT 0,
    error          TEXT,
    event_id       INTEGER,
    created_at     TEXT NOT NULL,
    created_ts     REAL NOT NULL
);
CREATE INDEX llm_calls_ts ON llm_calls (created_ts);

CREATE TABLE strategies (
    id          INTEGER PRIMARY KEY,
    idea_id     INTEGER REFERENCES ideas (id),
    name        TEXT NOT NULL,
    spec_json   TEXT NOT NULL DEFAULT '{}',
    status      TEXT NOT NULL DEFAULT 'active',
    reason      TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    UNIQUE (idea_id, name)
);
CREATE INDEX strategies_status ON strategies (status, id);

CREATE TABLE strategy_versions (
    id           INTEGER PRIMARY KEY,
    strategy_id  INTEGER NOT NULL REFERENCES strategies (id),
    version      INTEGER NOT NULL,
    parent_id    INTEGER REFERENCES strategy_versions (id),
    code         TEXT NOT NULL,
    code_sha256  TEXT NOT NULL,
    spec_json    TEXT NOT NULL DEFAULT '{}',
    params_json  TEXT NOT NULL DEFAULT '{}',
    agent        TEXT NOT NULL DEFAULT '',
    llm_call_id  INTEGER REFERENCES llm_calls (id),
    note         TEXT,
    status       TEXT NOT NULL DEFAULT 'new',
    created_at   TEXT NOT NULL,
    UNIQUE (strategy_id, code_sha256),
    UNIQUE (strategy_id, version)
);
CREATE INDEX versions_parent ON strategy_versions (parent_id);

CREATE TABLE backtest_results (
    id                    INTEGER PRIMARY KEY,
    version_id            INTEGER NOT NULL REFERENCES strategy_versions (id),
    strategy_id           INTEGER NOT NULL REFERENCES strategies (id),
    strategy_name         TEXT NOT NULL,
    version               INTEGER NOT NULL,
    code_hash             TEXT NOT NULL,
    execution_time        REAL,
    total_return          REAL,
    sharpe_ratio          REAL,
    max_drawdown          REAL,
    win_rate              REAL,
    num_trades            INTEGER,
    error_message         TEXT,
    created_at            TEXT NOT NULL,
    status                TEXT NOT NULL,
    stats_json            TEXT NOT NULL DEFAULT '{}',
    dataset               TEXT NOT NULL,
    data_sha256           TEXT NOT NULL DEFAULT '',
    params_json           TEXT NOT NULL DEFAULT '{}',
    params_hash           TEXT NOT NULL,
    backend               TEXT NOT NULL DEFAULT '',
    seed                  INTEGER NOT NULL DEFAULT 0,
    package_versions_json TEXT NOT NULL DEFAULT '{}',
    git_commit            TEXT NOT NULL DEFAULT '',
    run_id                TEXT NOT NULL DEFAULT '',
    error_class           TEXT,
    event_id              INTEGER,
    UNIQUE (version_id, dataset, params_hash, seed)
);
CREATE INDEX results_best ON backtest_results (strategy_id, status, sharpe_ratio DESC);
CREATE INDEX results_sharpe ON backtest_results (status, sharpe_ratio);
CREATE INDEX results_status_class ON backtest_results (status, error_class);

CREATE TABLE optimization_history (
    id                INTEGER PRIMARY KEY,
    strategy_id       INTEGER NOT NULL REFERENCES strategies (id),
    strategy_name     TEXT NOT NULL,
    parent_version    INTEGER NOT NULL REFERENCES strategy_versions (id),
    child_version     INTEGER NOT NULL REFERENCES strategy_versions (id),
    optimization_type TEXT NOT NULL,
    changes_made      TEXT NOT NULL DEFAULT '',
    performance_delta REAL,
    metric            TEXT NOT NULL DEFAULT 'sharpe_ratio',
    event_id          INTEGER,
    created_at        TEXT NOT NULL,
    UNIQUE (parent_version, child_version)
);
CREATE INDEX opt_strategy ON optimization_history (strategy_id);

CREATE TABLE events (
    id               INTEGER PRIMARY KEY,
    type             TEXT NOT NULL,
    payload          TEXT NOT NULL,
    status           TEXT NOT NULL DEFAULT 'ready'
                     CHECK (status IN ('ready', 'running', 'done', 'dead', 'cancelled')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    max_attempts     INTEGER,
    available_ts     REAL NOT NULL,
    lease_until_ts   REAL,
    lease_owner      TEXT,
    last_error       TEXT,
    error_class      TEXT,
    wait_reason      TEXT,
    idempotency_key  TEXT UNIQUE,
    idea_id          INTEGER,
    strategy_id      INTEGER,
    parent_event_id  INTEGER,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    finished_at      TEXT
);
CREATE INDEX events_ready ON events (available_ts) WHERE status = 'ready';
CREATE INDEX events_running ON events (lease_until_ts) WHERE status = 'running';
CREATE INDEX events_type_status ON events (type, status);
CREATE INDEX events_idea ON events (idea_id, status);
CREATE INDEX events_strategy ON events (strategy_id, status);
CREATE INDEX events_dead ON events (error_class) WHERE status = 'dead';

CREATE TABLE reviews (
    id           INTEGER PRIMARY KEY,
    strategy_id  INTEGER NOT NULL REFERENCES strategies (id),
    version_id   INTEGER NOT NULL REFERENCES strategy_versions (id),
    outcome      TEXT NOT NULL CHECK (outcome IN ('approve', 'needs_work', 'kill')),
    gates_json   TEXT NOT NULL DEFAULT '{}',
    summary      TEXT NOT NULL DEFAULT '',
    llm_call_id  INTEGER REFERENCES llm_calls (id),
    event_id     INTEGER,
    created_at   TEXT NOT NULL
);
CREATE INDEX reviews_version ON reviews (version_id);
CREATE INDEX reviews_strategy ON reviews (strategy_id);

CREATE TABLE learnings (
    id           INTEGER PRIMARY KEY,
    strategy_id  INTEGER REFERENCES strategies (id),
    version_id   INTEGER REFERENCES strategy_versions (id),
    review_id    INTEGER REFERENCES reviews (id),
    kind         TEXT NOT NULL DEFAULT 'note',
    text         TEXT NOT NULL,
    tags         TEXT NOT NULL DEFAULT '',
    text_sha256  TEXT NOT NULL UNIQUE,
    created_at   TEXT NOT NULL
);
CREATE VIRTUAL TABLE learnings_fts USING fts5 (
    text, tags, content='learnings', content_rowid='id'
);
CREATE TRIGGER learnings_ai AFTER INSERT ON learnings BEGIN
    INSERT INTO learnings_fts (rowid, text, tags) VALUES (new.id, new.text, new.tags);
END;
CREATE TRIGGER learnings_ad AFTER DELETE ON learnings BEGIN
    INSERT INTO learnings_fts (learnings_fts, rowid, text, tags)
    VALUES ('delete', old.id, old.text, old.tags);
END;

CREATE TABLE holdout_reads (
    id           INTEGER PRIMARY KEY,
    strategy_id  INTEGER REFERENCES strategies (id),
    version_id   INTEGER REFERENCES strategy_versions (id),
    dataset      TEXT NOT NULL,
    split        TEXT NOT NULL DEFAULT 'holdout',
    reader       TEXT NOT NULL DEFAULT '',
    reason       TEXT NOT NULL DEFAULT '',
    event_id     INTEGER,
    created_at   TEXT NOT NULL
);
CREATE TRIGGER holdout_reads_no_update BEFORE UPDATE ON holdout_reads BEGIN
    SELECT RAISE(ABORT, 'holdout_reads is append-only');
END;
CREATE TRIGGER holdout_reads_no_delete BEFORE DELETE ON holdout_reads BEGIN
    SELECT RAISE(ABORT, 'holdout_reads is append-only');
END;

CREATE TABLE settings_snapshots (
    id            INTEGER PRIMARY KEY,
    run_id        TEXT NOT NULL,
    settings_json TEXT NOT NULL,
    sha256        TEXT NOT NULL,
    pid           INTEGER,
    host          TEXT,
    git_commit    TEXT NOT NULL DEFAULT '',
    created_at    TEXT NOT NULL
);

CREATE TABLE runner_lock (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    token         TEXT NOT NULL,
    pid           INTEGER NOT NULL,
    host          TEXT NOT NULL,
    proc_start_ts REAL NOT NULL,
    started_at    TEXT NOT NULL,
    heartbeat_ts  REAL NOT NULL
);
"""

# v2: the series the dashboard charts, and resource use, kept for non-trial runs
V2 = """
ALTER TABLE backtest_results ADD COLUMN equity_json TEXT;
ALTER TABLE backtest_results ADD COLUMN trades_json TEXT;
ALTER TABLE backtest_results ADD COLUMN resources_json TEXT;
"""

# v3: one row per optimise round: what was searched, the return-vs-drawdown Pareto front
# of its trials, and the logic changes it tried and rejected (they count as variants
# tried for the Deflated Sharpe Ratio)
V3 = """
CREATE TABLE optimisation_rounds (
    id             INTEGER PRIMARY KEY,
    strategy_id    INTEGER NOT NULL REFERENCES strategies (id),
    version_id     INTEGER NOT NULL REFERENCES strategy_versions (id),
    child_version  INTEGER REFERENCES strategy_versions (id),
    method         TEXT NOT NULL DEFAULT '',
    dataset        TEXT NOT NULL DEFAULT '',
    data_sha256    TEXT NOT NULL DEFAULT '',
    trials         INTEGER NOT NULL DEFAULT 0,
    rejected_logic INTEGER NOT NULL DEFAULT 0,
    objectives     TEXT NOT NULL DEFAULT '[]',
    pareto_json    TEXT NOT NULL DEFAULT '[]',
    outcome        TEXT NOT NULL DEFAULT '',
    event_id       INTEGER,
    created_at     TEXT NOT NULL,
    UNIQUE (version_id, event_id)
);
CREATE INDEX optimisation_rounds_strategy ON optimisation_rounds (strategy_id);
"""

# v4: paper trading — one row per session; per processed bar (the warm-up ``history``
# bars, then the ``forward`` ones) the bar itself, equity, position and the strategy's
# decisions; the fills the paper broker booked. A bar, its decisions and
# its fills commit together, so a crash resumes after the last whole bar.
V4 = """
CREATE TABLE paper_sessions (
    id             INTEGER PRIMARY KEY,
    strategy_id    INTEGER NOT NULL REFERENCES strategies (id),
    version_id     INTEGER NOT NULL REFERENCES strategy_versions (id),
    status         TEXT NOT NULL DEFAULT 'starting',
    feed           TEXT NOT NULL,
    dataset        TEXT NOT NULL DEFAULT '',
    speed          REAL NOT NULL DEFAULT 0,
    cash           REAL NOT NULL,
    backend        TEXT NOT NULL DEFAULT '',
    model_json     TEXT NOT NULL DEFAULT '{}',
    params_json    TEXT NOT NULL DEFAULT '{}',
    parity_json    TEXT,
    band_json      TEXT,
    reason         TEXT,
    pid            INTEGER,
    heartbeat      REAL,
    stop_requested INTEGER NOT NULL DEFAULT 0,
    bars           INTEGER NOT NULL DEFAULT 0,
    last_ts        INTEGER,
    equity         REAL,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE INDEX paper_sessions_strategy ON paper_sessions (strategy_id);
CREATE TABLE paper_bars (
    session_id   INTEGER NOT NULL REFERENCES paper_sessions (id),
    bar          INTEGER NOT NULL,
    ts           INTEGER NOT NULL,
    phase        TEXT NOT NULL DEFAULT 'forward',
    open         REAL NOT NULL,
    high         REAL NOT NULL,
    low          REAL NOT NULL,
    close        REAL NOT NULL,
    volume       REAL,
    equity       REAL NOT NULL,
    position     REAL NOT NULL,
    actions_json TEXT NOT NULL DEFAULT '[]',
    rejected     TEXT,
    PRIMARY KEY (session_id, bar)
) WITHOUT ROWID;
CREATE TABLE paper_fills (
    session_id    INTEGER NOT NULL REFERENCES paper_sessions (id),
    bar           INTEGER NOT NULL,
    seq           INTEGER NOT NULL,
    kind          TEXT NOT NULL,
    size          REAL NOT NULL,
    price         REAL NOT NULL,
    reference     REAL NOT NULL,
    fee           REAL NOT NULL,
    slippage_bps  REAL NOT NULL,
    tag           TEXT,
    PRIMARY KEY (session_id, bar, seq)
) WITHOUT ROWID;
"""

# v5: review series (the research report): chart series a review computed that its
# gates_json summary does not keep, e.g. the Monte Carlo fan ("monte_carlo_fan":
# quantile paths of equity after each trade and the realised path); one per name
V5 = """
CREATE TABLE review_series (
    id           INTEGER PRIMARY KEY,
    review_id    INTEGER NOT NULL REFERENCES reviews (id),
    name         TEXT NOT NULL,
    series_json  TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    UNIQUE (review_id, name)
);
"""

# v6: paper fills say whether they made liquidity (a resting limit: "maker") or took it
# ("taker": market, stop, stop-loss); fills booked before v6 were all charged as takers
V6 = """
ALTER TABLE paper_fills ADD COLUMN liquidity TEXT NOT NULL DEFAULT 'taker';
"""

MIGRATIONS: list[str] = [V1, V2, V3, V4, V5, V6]
