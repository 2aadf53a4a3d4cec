# The config, checked before anything reads it: config/config.yaml, then any --configfile,
# then the --config values (dotted keys such as asr.beam_size=3 get through Snakemake's
# command line thanks to envs/snakemake_dotted_config.py). Included by rules/common.smk,
# whose fail() it uses.

from snakemake.utils import update_config

from common.config_check import config_problem, fill_defaults, load_yaml, typed

CONFIG_SCHEMA = load_yaml(PROJECT / "config" / "schemas" / "config.schema.yaml")
# Snakemake has merged the --config values as text wherever they did not look like a number or
# True/False (`debug=true`): merge them again, typed as the schema says.
COMMAND_LINE_CONFIG = dict(workflow.config_settings.config)
update_config(config, typed(COMMAND_LINE_CONFIG, CONFIG_SCHEMA))
config_error = config_problem(
    config,
    CONFIG_SCHEMA,
    COMMAND_LINE_CONFIG,
    workflow.config_settings.configfiles,
)
if config_error:
    fail(config_error)
fill_defaults(config, CONFIG_SCHEMA)
