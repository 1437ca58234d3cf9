-- newsdesk's schema at revision 0007 on SQLite, made by store.migrate.sqlite_schema_script()
BEGIN;
CREATE TABLE items (
	id INTEGER NOT NULL,
	entry_id VARCHAR(200) NOT NULL,
	url TEXT,
	title TEXT NOT NULL,
	summary_html TEXT NOT NULL,
	summary_text TEXT NOT NULL,
	content_html TEXT DEFAULT '' NOT NULL,
	image TEXT,
	language VARCHAR(20) NOT NULL,
	published DATETIME NOT NULL,
	date_from_source BOOLEAN NOT NULL,
	updated DATETIME NOT NULL,
	first_seen DATETIME NOT NULL,
	seen_rank BIGINT DEFAULT '0' NOT NULL,
	content_source TEXT NOT NULL,
	content_hash VARCHAR(40) NOT NULL,
	sources TEXT NOT NULL,
	duplicate_of INTEGER,
	signature BLOB,
	PRIMARY KEY (id),
	UNIQUE (entry_id)
);
CREATE INDEX ix_items_duplicate_of ON items (duplicate_of);
CREATE INDEX ix_items_language_published ON items (language, published);
CREATE INDEX ix_items_published ON items (published);
CREATE INDEX ix_items_updated ON items (updated);
CREATE TABLE sources (
	name VARCHAR(200) NOT NULL,
	last_attempt DATETIME,
	last_success DATETIME,
	failures INTEGER DEFAULT '0' NOT NULL,
	last_error TEXT,
	error_kind VARCHAR(20),
	retry_after DATETIME,
	disabled_config VARCHAR(64),
	attempts INTEGER DEFAULT '0' NOT NULL,
	failures_total INTEGER DEFAULT '0' NOT NULL,
	PRIMARY KEY (name)
);
CREATE TABLE source_pages (
	source VARCHAR(200) NOT NULL,
	url TEXT NOT NULL,
	item_count INTEGER NOT NULL,
	last_fetch DATETIME,
	etag TEXT,
	last_modified TEXT,
	config_hash VARCHAR(64),
	body_hash VARCHAR(64),
	PRIMARY KEY (source, url)
);
CREATE TABLE robots (
	origin VARCHAR(300) NOT NULL,
	body TEXT,
	expires DATETIME NOT NULL,
	PRIMARY KEY (origin)
);
CREATE TABLE changes (
	id INTEGER NOT NULL,
	categories TEXT NOT NULL,
	at DATETIME NOT NULL,
	PRIMARY KEY (id)
);
CREATE INDEX ix_changes_at ON changes (at);
CREATE TABLE category_labels (
	category TEXT NOT NULL,
	label TEXT NOT NULL,
	PRIMARY KEY (category)
);
CREATE TABLE meta (
	"key" VARCHAR(100) NOT NULL,
	value TEXT NOT NULL,
	PRIMARY KEY ("key")
);
CREATE TABLE workers (
	name VARCHAR(200) NOT NULL,
	host TEXT NOT NULL,
	pid INTEGER NOT NULL,
	concurrency INTEGER NOT NULL,
	started DATETIME NOT NULL,
	heartbeat DATETIME NOT NULL,
	stopped DATETIME,
	PRIMARY KEY (name)
);
CREATE TABLE tasks (
	id VARCHAR(64) NOT NULL,
	source VARCHAR(200) NOT NULL,
	state VARCHAR(12) NOT NULL,
	queued DATETIME NOT NULL,
	started DATETIME,
	finished DATETIME,
	worker VARCHAR(200),
	deliveries INTEGER DEFAULT '0' NOT NULL,
	error TEXT,
	PRIMARY KEY (id)
);
CREATE INDEX ix_tasks_source_queued ON tasks (source, queued);
CREATE INDEX ix_tasks_state ON tasks (state);
CREATE TABLE host_slots (
	host VARCHAR(300) NOT NULL,
	token VARCHAR(64) NOT NULL,
	expires DATETIME NOT NULL,
	PRIMARY KEY (host, token)
);
CREATE TABLE host_starts (
	host VARCHAR(300) NOT NULL,
	next_start DATETIME NOT NULL,
	PRIMARY KEY (host)
);
CREATE TABLE merges (
	id INTEGER NOT NULL,
	kept_id INTEGER NOT NULL,
	merged_id INTEGER NOT NULL,
	score FLOAT NOT NULL,
	rule TEXT NOT NULL,
	at DATETIME NOT NULL,
	PRIMARY KEY (id),
	FOREIGN KEY(kept_id) REFERENCES items (id) ON DELETE CASCADE,
	UNIQUE (merged_id),
	FOREIGN KEY(merged_id) REFERENCES items (id) ON DELETE CASCADE
);
CREATE INDEX ix_merges_kept_id ON merges (kept_id);
CREATE TABLE alternates (
	item_id INTEGER NOT NULL,
	other_id INTEGER NOT NULL,
	score FLOAT NOT NULL,
	PRIMARY KEY (item_id, other_id),
	FOREIGN KEY(item_id) REFERENCES items (id) ON DELETE CASCADE,
	FOREIGN KEY(other_id) REFERENCES items (id) ON DELETE CASCADE
);
CREATE TABLE item_keys (
	"key" TEXT NOT NULL,
	item_id INTEGER NOT NULL,
	PRIMARY KEY ("key"),
	FOREIGN KEY(item_id) REFERENCES items (id) ON DELETE CASCADE
);
CREATE INDEX ix_item_keys_item_id ON item_keys (item_id);
CREATE TABLE item_categories (
	item_id INTEGER NOT NULL,
	category TEXT NOT NULL,
	position INTEGER NOT NULL,
	published DATETIME,
	PRIMARY KEY (item_id, category),
	FOREIGN KEY(item_id) REFERENCES items (id) ON DELETE CASCADE
);
CREATE INDEX ix_item_categories_category ON item_categories (category);
CREATE INDEX ix_item_categories_newest ON item_categories (category, published);
CREATE TABLE newsdesk_schema_version (
	version_num VARCHAR(32) NOT NULL,
	CONSTRAINT newsdesk_schema_version_pkc PRIMARY KEY (version_num)
);
INSERT INTO newsdesk_schema_version (version_num) VALUES ('0007');
COMMIT;
