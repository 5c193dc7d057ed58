-- Catalogues: the codes records may use. Checked by fremdrift at ingest
-- (it loads them when it connects) and documented in docs/formats.md.
-- Departments and agreements are the provider's own: add rows with SQL
-- (see docs/formats.md); fremdrift picks them up when it reconnects or
-- restarts.

CREATE TABLE fremdrift.intervention_categories (
    category    text PRIMARY KEY,
    name_da     text NOT NULL,
    name_en     text NOT NULL
);
INSERT INTO fremdrift.intervention_categories VALUES
 ('company',       'Virksomhedsrettet indsats',         'Company-oriented intervention'),
 ('health_social', 'Sundheds- og social indsats',       'Health and social intervention'),
 ('upskilling',    'Opkvalificering',                   'Upskilling'),
 ('clarification', 'Afklaring',                         'Clarification of work capacity');

CREATE TABLE fremdrift.interventions (
    code        text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]{0,39}$'),
    category    text NOT NULL REFERENCES fremdrift.intervention_categories,
    name_da     text NOT NULL,
    name_en     text NOT NULL
);
INSERT INTO fremdrift.interventions VALUES
 ('internship',        'company',       'Virksomhedspraktik',                 'Company internship'),
 ('paid_hours',        'company',       'Løntimer / småjob',                  'Paid hours (small jobs)'),
 ('wage_subsidy',      'company',       'Løntilskud',                         'Wage-subsidised job'),
 ('flex_job_trial',    'company',       'Afprøvning i fleksjob',              'Flex-job trial'),
 ('job',               'company',       'Ordinære timer i job',               'Ordinary job hours'),
 ('workplace_mentor',  'company',       'Virksomhedsmentor',                  'Workplace mentor'),
 ('psychologist',      'health_social', 'Psykologsamtaler',                   'Psychologist'),
 ('social_mentor',     'health_social', 'Social mentor',                      'Social mentor'),
 ('exercise',          'health_social', 'Motion og træning',                  'Exercise'),
 ('substance_treatment','health_social','Misbrugsbehandling',                 'Substance-use treatment'),
 ('coping_group',      'health_social', 'Mestringsforløb i gruppe',           'Coping group'),
 ('occupational_therapy','health_social','Ergoterapi',                        'Occupational therapy'),
 ('group_teaching',    'upskilling',    'Holdundervisning',                   'Group teaching'),
 ('education_bridge',  'upskilling',    'Brobygning til uddannelse',          'Bridging to education'),
 ('cv_jobsearch',      'upskilling',    'CV og jobsøgning',                   'CV and job search'),
 ('danish_language',   'upskilling',    'Danskundervisning',                  'Danish language teaching'),
 ('work_assessment',   'clarification', 'Arbejdsevneafklaring',               'Work-capacity assessment'),
 ('resource_assessment','clarification','Ressourceafklaring',                 'Resource assessment');

CREATE TABLE fremdrift.exit_statuses (
    code        text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]{0,39}$'),
    name_da     text NOT NULL,
    name_en     text NOT NULL,
    towards_work boolean NOT NULL  -- counts as work or education
);
INSERT INTO fremdrift.exit_statuses VALUES
 ('employment',          'Beskæftigelse',                       'Employment',                          true),
 ('education',           'Uddannelse',                          'Education',                           true),
 ('flex_job',            'Fleksjob',                            'Flex job',                            true),
 ('employment_support',  'Beskæftigelse med offentlig ydelse',  'Employment with public support',      true),
 ('self_supporting',     'Selvforsørgende',                     'Self-supporting',                     true),
 ('unemployment',        'Fortsat på offentlig forsørgelse',    'Still on unemployment benefits',      false),
 ('sickness_benefit',    'Sygedagpenge',                        'Sickness benefit',                    false),
 ('early_retirement',    'Førtidspension',                      'Early retirement pension',            false),
 ('other_public_support','Anden offentlig forsørgelse',         'Other public support',                false),
 ('unknown',             'Ukendt',                              'Unknown',                             false);

CREATE TABLE fremdrift.target_groups (
    code        text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]{0,39}$'),
    name_da     text NOT NULL,
    name_en     text NOT NULL
);
INSERT INTO fremdrift.target_groups VALUES
 ('vulnerable_adults_30', 'Udsatte voksne over 30 år',                    'Vulnerable adults over 30'),
 ('sick_listed',          'Sygemeldte',                                   'Sick-listed'),
 ('youth_autism',         'Unge med autisme',                             'Young people with autism'),
 ('youth_psychiatric',    'Unge med psykiatriske diagnoser',              'Young people with psychiatric diagnoses'),
 ('youth_outward',        'Unge med udadreagerende adfærd',               'Young people with outward-reacting behaviour'),
 ('activity_ready',       'Aktivitetsparate',                             'Activity-ready benefit recipients'),
 ('flex_job_applicants',  'Ledige fleksjobvisiterede',                    'Unemployed, approved for flex job');

CREATE TABLE fremdrift.departments (
    code        text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]{0,39}$'),
    name        text NOT NULL
);
INSERT INTO fremdrift.departments VALUES
 ('koebenhavn', 'København'),
 ('aarhus',     'Aarhus'),
 ('odense',     'Odense'),
 ('aalborg',    'Aalborg'),
 ('esbjerg',    'Esbjerg');

CREATE TABLE fremdrift.subgoals (
    code        text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]{0,39}$'),
    name_da     text NOT NULL,
    name_en     text NOT NULL
);
INSERT INTO fremdrift.subgoals VALUES
 ('belief',        'Tro på egne evner',                    'Belief in own abilities'),
 ('community',     'Deltagelse i faglige fællesskaber',    'Taking part in a professional community'),
 ('attendance',    'Ansvar og stabilt fremmøde',           'Responsibility and stable attendance'),
 ('skills',        'Kompetencer og arbejdserfaring',       'Skills and work experience'),
 ('clarity',       'Afklaring om uddannelse og job',       'Clarity about education and job'),
 ('mental_health', 'Mestring af psykisk sygdom',           'Coping with mental illness'),
 ('trust',         'Tillid til beskæftigelsessystemet',    'Trust in the employment system'),
 ('labour_market', 'Kendskab til arbejdsmarkedet',         'Knowledge of the labour market'),
 ('everyday',      'Hverdagsmestring',                     'Everyday coping'),
 ('motivation',    'Motivation og engagement',             'Motivation and engagement'),
 ('sobriety',      'Ædruelighed',                          'Sobriety');

CREATE TABLE fremdrift.meeting_types (
    code        text PRIMARY KEY,
    name_da     text NOT NULL,
    name_en     text NOT NULL
);
INSERT INTO fremdrift.meeting_types VALUES
 ('conversation', 'Samtale',            'Conversation'),
 ('three_party',  'Trepartsmøde',       'Three-party meeting'),
 ('employer',     'Møde med arbejdsgiver', 'Employer meeting');
