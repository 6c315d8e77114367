-- The schema of a version-9 Hehu database (postgresql), as hehu 0.x before schema 10 created it.
-- Generated from hehu/records/schema.py at commit fd1f1c1, used by tests/test_schema_migration.py.

CREATE TABLE app_user (
	id SERIAL NOT NULL, 
	name VARCHAR(64) NOT NULL, 
	role VARCHAR(16) NOT NULL, 
	unit VARCHAR(64), 
	password_hash TEXT NOT NULL, 
	failed_attempts INTEGER DEFAULT '0' NOT NULL, 
	locked_until TIMESTAMP WITHOUT TIME ZONE, 
	created_at TIMESTAMP WITHOUT TIME ZONE NOT NULL, 
	password_changed_at TIMESTAMP WITHOUT TIME ZONE NOT NULL, 
	disabled BOOLEAN DEFAULT false NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_app_user_name UNIQUE (name), 
	CONSTRAINT "ck_%%(table_name)s_role" CHECK (role IN ('deputy', 'presenter', 'staff', 'unit', 'admin')), 
	CONSTRAINT ck_app_user_name CHECK (name <> ''), 
	CONSTRAINT ck_app_user_unit CHECK ((role = 'unit' AND unit IS NOT NULL AND unit <> '') OR (role <> 'unit' AND unit IS NULL)), 
	CONSTRAINT ck_app_user_hash CHECK (password_hash LIKE '$argon2id$%%'), 
	CONSTRAINT ck_app_user_failed CHECK (failed_attempts >= 0)
);

CREATE UNIQUE INDEX uq_app_user_name_lower ON app_user (lower(name));

CREATE TABLE audit_log (
	id SERIAL NOT NULL, 
	at TIMESTAMP WITHOUT TIME ZONE NOT NULL, 
	actor TEXT NOT NULL, 
	action VARCHAR(32) NOT NULL, 
	what TEXT NOT NULL, 
	places TEXT NOT NULL, 
	PRIMARY KEY (id)
);

CREATE TABLE figure_cache (
	name VARCHAR(32) NOT NULL, 
	period VARCHAR(32) NOT NULL, 
	data_version INTEGER NOT NULL, 
	payload BYTEA NOT NULL, 
	computed_at TIMESTAMP WITHOUT TIME ZONE NOT NULL, 
	PRIMARY KEY (name, period)
);

CREATE TABLE inspection (
	inspection_id VARCHAR(64) NOT NULL, 
	date DATE NOT NULL, 
	committee TEXT NOT NULL, 
	deputies TEXT NOT NULL, 
	places TEXT NOT NULL, 
	orgs TEXT NOT NULL, 
	summary TEXT NOT NULL, 
	PRIMARY KEY (inspection_id)
);

CREATE TABLE meta (
	key VARCHAR(64) NOT NULL, 
	value TEXT NOT NULL, 
	PRIMARY KEY (key)
);

CREATE TABLE place (
	code VARCHAR(12) NOT NULL, 
	name TEXT NOT NULL, 
	short_name TEXT NOT NULL, 
	level VARCHAR(16) NOT NULL, 
	parent_code VARCHAR(12), 
	key_village BOOLEAN NOT NULL, 
	lat FLOAT, 
	lon FLOAT, 
	coord_quality VARCHAR(16) NOT NULL, 
	coord_basis TEXT, 
	children INTEGER, 
	left_behind_children INTEGER, 
	PRIMARY KEY (code), 
	CONSTRAINT "ck_%%(table_name)s_level" CHECK (level IN ('province', 'city', 'county', 'town', 'subdistrict', 'village', 'community')), 
	CONSTRAINT "ck_%%(table_name)s_coord_quality" CHECK (coord_quality IN ('surveyed', 'sourced', 'schematic', 'approximate', 'none')), 
	CONSTRAINT ck_place_children CHECK (children IS NULL OR children >= 0), 
	CONSTRAINT ck_place_lbc CHECK (left_behind_children IS NULL OR left_behind_children >= 0), 
	CONSTRAINT ck_place_lat CHECK (lat IS NULL OR (lat BETWEEN -90 AND 90)), 
	CONSTRAINT ck_place_lon CHECK (lon IS NULL OR (lon BETWEEN -180 AND 180)), 
	FOREIGN KEY(parent_code) REFERENCES place (code)
);

CREATE TABLE claim (
	claim_id VARCHAR(64) NOT NULL, 
	document TEXT NOT NULL, 
	metric VARCHAR(40) NOT NULL, 
	place_code VARCHAR(12) NOT NULL, 
	period_start DATE NOT NULL, 
	period_end DATE NOT NULL, 
	value FLOAT NOT NULL, 
	tolerance FLOAT NOT NULL, 
	PRIMARY KEY (claim_id), 
	CONSTRAINT "ck_%%(table_name)s_metric" CHECK (metric IN ('towns', 'subdistricts', 'key_villages', 'stations', 'cases_received', 'cases_resolved', 'resolution_rate', 'legal_events', 'legal_lectures', 'legal_audience', 'course_sessions', 'course_attendance', 'key_villages_with_course', 'left_behind_children', 'left_behind_children_paired', 'pairings_active', 'pairings_lapsed', 'households_must_visit', 'households_visited', 'must_visit_coverage', 'households_screened', 'high_risk_without_follow_up', 'dv_warnings_issued', 'protection_orders_applied', 'protection_orders_issued', 'mandatory_reports_received', 'mandatory_reports_handled', 'cases_referred', 'recommendations_open', 'recommendations_overdue')), 
	CONSTRAINT "ck_%%(table_name)s_period_end_after" CHECK (period_end IS NULL OR period_end >= period_start), 
	CONSTRAINT ck_claim_tolerance CHECK (tolerance >= 0), 
	FOREIGN KEY(place_code) REFERENCES place (code)
);

CREATE TABLE deliberation (
	deliberation_id VARCHAR(64) NOT NULL, 
	date DATE NOT NULL, 
	place_code VARCHAR(12) NOT NULL, 
	brand TEXT NOT NULL, 
	topic TEXT, 
	participants INTEGER, 
	disputes_resolved INTEGER, 
	PRIMARY KEY (deliberation_id), 
	CONSTRAINT ck_deliberation_participants CHECK (participants IS NULL OR participants >= 0), 
	CONSTRAINT ck_deliberation_disputes CHECK (disputes_resolved IS NULL OR disputes_resolved >= 0), 
	FOREIGN KEY(place_code) REFERENCES place (code)
);

CREATE TABLE finding (
	finding_id VARCHAR(64) NOT NULL, 
	inspection_id VARCHAR(64) NOT NULL, 
	place_code VARCHAR(12) NOT NULL, 
	text TEXT NOT NULL, 
	PRIMARY KEY (finding_id), 
	FOREIGN KEY(inspection_id) REFERENCES inspection (inspection_id) ON DELETE CASCADE, 
	FOREIGN KEY(place_code) REFERENCES place (code)
);

CREATE TABLE household (
	household_id VARCHAR(64) NOT NULL, 
	place_code VARCHAR(12) NOT NULL, 
	categories TEXT NOT NULL, 
	PRIMARY KEY (household_id), 
	FOREIGN KEY(place_code) REFERENCES place (code)
);

CREATE TABLE org (
	org_id VARCHAR(64) NOT NULL, 
	name TEXT NOT NULL, 
	kind VARCHAR(16) NOT NULL, 
	level VARCHAR(16) NOT NULL, 
	place_code VARCHAR(12) NOT NULL, 
	host_org_id VARCHAR(64), 
	PRIMARY KEY (org_id), 
	CONSTRAINT "ck_%%(table_name)s_kind" CHECK (kind IN ('federation', 'association', 'studio', 'station', 'agency', 'school', 'deputies')), 
	CONSTRAINT "ck_%%(table_name)s_level" CHECK (level IN ('county', 'town', 'village')), 
	FOREIGN KEY(place_code) REFERENCES place (code), 
	FOREIGN KEY(host_org_id) REFERENCES org (org_id)
);

CREATE TABLE target (
	metric VARCHAR(40) NOT NULL, 
	place_code VARCHAR(12) NOT NULL, 
	year INTEGER NOT NULL, 
	value FLOAT NOT NULL, 
	source TEXT NOT NULL, 
	PRIMARY KEY (metric, place_code, year), 
	CONSTRAINT "ck_%%(table_name)s_metric" CHECK (metric IN ('towns', 'subdistricts', 'key_villages', 'stations', 'cases_received', 'cases_resolved', 'resolution_rate', 'legal_events', 'legal_lectures', 'legal_audience', 'course_sessions', 'course_attendance', 'key_villages_with_course', 'left_behind_children', 'left_behind_children_paired', 'pairings_active', 'pairings_lapsed', 'households_must_visit', 'households_visited', 'must_visit_coverage', 'households_screened', 'high_risk_without_follow_up', 'dv_warnings_issued', 'protection_orders_applied', 'protection_orders_issued', 'mandatory_reports_received', 'mandatory_reports_handled', 'cases_referred', 'recommendations_open', 'recommendations_overdue')), 
	FOREIGN KEY(place_code) REFERENCES place (code)
);

CREATE TABLE case_record (
	case_id VARCHAR(64) NOT NULL, 
	received_date DATE NOT NULL, 
	org_id VARCHAR(64) NOT NULL, 
	place_code VARCHAR(12) NOT NULL, 
	category VARCHAR(32) NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	closed_date DATE, 
	PRIMARY KEY (case_id), 
	CONSTRAINT "ck_%%(table_name)s_category" CHECK (category IN ('family_dispute', 'domestic_violence', 'property', 'child_protection', 'employment', 'other')), 
	CONSTRAINT "ck_%%(table_name)s_status" CHECK (status IN ('open', 'resolved', 'referred')), 
	CONSTRAINT "ck_%%(table_name)s_closed_date_after" CHECK (closed_date IS NULL OR closed_date >= received_date), 
	CONSTRAINT ck_case_closed_date CHECK ((status = 'open' AND closed_date IS NULL) OR (status <> 'open' AND closed_date IS NOT NULL)), 
	FOREIGN KEY(org_id) REFERENCES org (org_id), 
	FOREIGN KEY(place_code) REFERENCES place (code)
);

CREATE TABLE course (
	course_id VARCHAR(64) NOT NULL, 
	date DATE NOT NULL, 
	place_code VARCHAR(12) NOT NULL, 
	venue TEXT, 
	org_id VARCHAR(64) NOT NULL, 
	topic TEXT, 
	attendance INTEGER NOT NULL, 
	girls INTEGER, 
	PRIMARY KEY (course_id), 
	CONSTRAINT ck_course_attendance CHECK (attendance >= 0), 
	CONSTRAINT ck_course_girls CHECK (girls IS NULL OR (girls >= 0 AND girls <= attendance)), 
	FOREIGN KEY(place_code) REFERENCES place (code), 
	FOREIGN KEY(org_id) REFERENCES org (org_id)
);

CREATE TABLE event (
	event_id VARCHAR(64) NOT NULL, 
	date DATE NOT NULL, 
	place_code VARCHAR(12) NOT NULL, 
	org_id VARCHAR(64) NOT NULL, 
	campaign VARCHAR(32) NOT NULL, 
	format VARCHAR(16) NOT NULL, 
	audience INTEGER, 
	laws TEXT DEFAULT '' NOT NULL, 
	channel VARCHAR(16) DEFAULT 'on_site' NOT NULL, 
	column_name TEXT, 
	PRIMARY KEY (event_id), 
	CONSTRAINT "ck_%%(table_name)s_campaign" CHECK (campaign IN ('womens_rights_week', 'family_day', 'anti_drug_day', 'shouhu_huakai', 'other')), 
	CONSTRAINT "ck_%%(table_name)s_format" CHECK (format IN ('lecture', 'performance', 'materials', 'consultation', 'online')), 
	CONSTRAINT "ck_%%(table_name)s_channel" CHECK (channel IN ('on_site', 'wechat', 'video')), 
	CONSTRAINT ck_event_audience CHECK (audience IS NULL OR audience >= 0), 
	FOREIGN KEY(place_code) REFERENCES place (code), 
	FOREIGN KEY(org_id) REFERENCES org (org_id)
);

CREATE TABLE person (
	person_id VARCHAR(64) NOT NULL, 
	household_id VARCHAR(64), 
	place_code VARCHAR(12) NOT NULL, 
	sex VARCHAR(1) NOT NULL, 
	birth_year INTEGER, 
	categories TEXT NOT NULL, 
	PRIMARY KEY (person_id), 
	CONSTRAINT "ck_%%(table_name)s_sex" CHECK (sex IN ('F', 'M')), 
	CONSTRAINT ck_person_birth_year CHECK (birth_year IS NULL OR (birth_year BETWEEN 1900 AND 2100)), 
	FOREIGN KEY(household_id) REFERENCES household (household_id), 
	FOREIGN KEY(place_code) REFERENCES place (code)
);

CREATE TABLE protection_measure (
	measure_id VARCHAR(64) NOT NULL, 
	date DATE NOT NULL, 
	place_code VARCHAR(12) NOT NULL, 
	org_id VARCHAR(64) NOT NULL, 
	measure VARCHAR(24) NOT NULL, 
	outcome VARCHAR(16) NOT NULL, 
	outcome_date DATE, 
	PRIMARY KEY (measure_id), 
	CONSTRAINT "ck_%%(table_name)s_measure" CHECK (measure IN ('dv_warning', 'protection_order', 'mandatory_report')), 
	CONSTRAINT "ck_%%(table_name)s_outcome" CHECK (outcome IN ('pending', 'issued', 'refused', 'handled')), 
	CONSTRAINT "ck_%%(table_name)s_outcome_date_after" CHECK (outcome_date IS NULL OR outcome_date >= date), 
	FOREIGN KEY(place_code) REFERENCES place (code), 
	FOREIGN KEY(org_id) REFERENCES org (org_id)
);

CREATE TABLE recommendation (
	rec_id VARCHAR(64) NOT NULL, 
	inspection_id VARCHAR(64) NOT NULL, 
	place_code VARCHAR(12) NOT NULL, 
	text TEXT NOT NULL, 
	responsible_org VARCHAR(64), 
	due_date DATE, 
	status VARCHAR(16) NOT NULL, 
	response TEXT NOT NULL, 
	PRIMARY KEY (rec_id), 
	CONSTRAINT "ck_%%(table_name)s_status" CHECK (status IN ('open', 'in_progress', 'done')), 
	FOREIGN KEY(inspection_id) REFERENCES inspection (inspection_id), 
	FOREIGN KEY(place_code) REFERENCES place (code), 
	FOREIGN KEY(responsible_org) REFERENCES org (org_id)
);

CREATE TABLE screening (
	screening_id VARCHAR(64) NOT NULL, 
	date DATE NOT NULL, 
	household_id VARCHAR(64) NOT NULL, 
	risk_categories TEXT NOT NULL, 
	risk_level VARCHAR(8) NOT NULL, 
	follow_up_due DATE, 
	org_id VARCHAR(64), 
	PRIMARY KEY (screening_id), 
	CONSTRAINT "ck_%%(table_name)s_risk_level" CHECK (risk_level IN ('low', 'medium', 'high')), 
	CONSTRAINT "ck_%%(table_name)s_follow_up_due_after" CHECK (follow_up_due IS NULL OR follow_up_due >= date), 
	FOREIGN KEY(household_id) REFERENCES household (household_id), 
	FOREIGN KEY(org_id) REFERENCES org (org_id)
);

CREATE TABLE visit (
	visit_id VARCHAR(64) NOT NULL, 
	date DATE NOT NULL, 
	household_id VARCHAR(64) NOT NULL, 
	org_id VARCHAR(64) NOT NULL, 
	reasons TEXT NOT NULL, 
	follow_up_due DATE, 
	PRIMARY KEY (visit_id), 
	CONSTRAINT "ck_%%(table_name)s_follow_up_due_after" CHECK (follow_up_due IS NULL OR follow_up_due >= date), 
	FOREIGN KEY(household_id) REFERENCES household (household_id), 
	FOREIGN KEY(org_id) REFERENCES org (org_id)
);

CREATE TABLE pairing (
	pairing_id VARCHAR(64) NOT NULL, 
	org_id VARCHAR(64) NOT NULL, 
	person_id VARCHAR(64) NOT NULL, 
	support_type VARCHAR(32) NOT NULL, 
	start_date DATE NOT NULL, 
	end_date DATE, 
	PRIMARY KEY (pairing_id), 
	CONSTRAINT "ck_%%(table_name)s_support_type" CHECK (support_type IN ('companionship', 'study', 'material', 'legal', 'psychological')), 
	CONSTRAINT "ck_%%(table_name)s_end_date_after" CHECK (end_date IS NULL OR end_date >= start_date), 
	FOREIGN KEY(org_id) REFERENCES org (org_id), 
	FOREIGN KEY(person_id) REFERENCES person (person_id)
);

CREATE TABLE recommendation_update (
	update_id VARCHAR(64) NOT NULL, 
	rec_id VARCHAR(64) NOT NULL, 
	at TIMESTAMP WITHOUT TIME ZONE NOT NULL, 
	actor TEXT NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	response TEXT NOT NULL, 
	PRIMARY KEY (update_id), 
	CONSTRAINT "ck_%%(table_name)s_status" CHECK (status IN ('open', 'in_progress', 'done')), 
	FOREIGN KEY(rec_id) REFERENCES recommendation (rec_id) ON DELETE CASCADE
);

CREATE TABLE referral (
	referral_id VARCHAR(64) NOT NULL, 
	case_id VARCHAR(64) NOT NULL, 
	date DATE NOT NULL, 
	from_org_id VARCHAR(64) NOT NULL, 
	to_org_id VARCHAR(64) NOT NULL, 
	PRIMARY KEY (referral_id), 
	CONSTRAINT ck_referral_bodies CHECK (from_org_id <> to_org_id), 
	FOREIGN KEY(case_id) REFERENCES case_record (case_id) ON DELETE CASCADE, 
	FOREIGN KEY(from_org_id) REFERENCES org (org_id), 
	FOREIGN KEY(to_org_id) REFERENCES org (org_id)
);

CREATE TABLE contact (
	pairing_id VARCHAR(64) NOT NULL, 
	date DATE NOT NULL, 
	mode VARCHAR(16) NOT NULL, 
	PRIMARY KEY (pairing_id, date, mode), 
	CONSTRAINT "ck_%%(table_name)s_mode" CHECK (mode IN ('home_visit', 'phone', 'video', 'activity')), 
	FOREIGN KEY(pairing_id) REFERENCES pairing (pairing_id)
);
