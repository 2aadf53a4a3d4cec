"""The workflow config against its schema: --config values typed as the schema says, and one
line naming the key that is wrong, where it was set and what is allowed. Used by rules/common/config.smk."""

from __future__ import annotations

import copy
import json

import yaml
from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import best_match

TYPE_WORDS = {
    "boolean": "true or false",
    "integer": "an integer",
    "number": "a number",
    "string": "text",
    "array": "a list",
    "object": "a mapping",
}
BOUND_SIGNS = {"minimum": ">=", "exclusiveMinimum": ">", "maximum": "<=", "exclusiveMaximum": "<"}


def load_yaml(path):
    # libyaml's loader where there is one: 4 ms for the schema instead of 36 ms.
    with open(path, encoding="utf-8") as handle:
        return yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def is_valid(value, schema: dict) -> bool:
    return Draft202012Validator(schema).is_valid(value)


def property_schema(schema: dict, key) -> dict:
    """The schema of one key of a mapping ({} when the schema says nothing about it)."""
    if key in schema.get("properties", {}):
        return schema["properties"][key]
    extra = schema.get("additionalProperties", {})
    return extra if isinstance(extra, dict) else {}


def schema_at(schema: dict, path) -> dict:
    for key in path:
        schema = schema.get("items", {}) if isinstance(key, int) else property_schema(schema, key)
    return schema


def typed(value, schema: dict):
    """A --config value as the type its schema asks for. Snakemake keeps `debug=true` and
    `subtitles={"max_line_chars": 30}` as text (or mappings and lists of text) unless it reads
    as a number or True/False; text the schema does not take as it is (`auto`, `no` for
    Norwegian) is read here as YAML: true/false/yes/no, numbers, lists, mappings."""
    if is_valid(value, schema):
        return value
    if isinstance(value, dict):
        return {key: typed(item, property_schema(schema, key)) for key, item in value.items()}
    if isinstance(value, list):
        return [typed(item, schema.get("items", {})) for item in value]
    if isinstance(value, str):
        try:
            return yaml.safe_load(value)
        except yaml.YAMLError:
            return value
    # A number, True/False or an empty value (`key=`) where the schema may want text.
    text = "" if value is None else str(value)
    return text if is_valid(text, schema) else value


def allowed(schema: dict) -> str:
    """What a schema accepts, in a few words: 'an integer >= 1', 'one of auto, cpu, cuda'."""
    if "const" in schema:
        return shown(schema["const"])
    if "enum" in schema:
        values = list(map(shown, schema["enum"]))
        return values[0] if len(values) == 1 else "one of " + ", ".join(values)
    if "oneOf" in schema:
        return " or ".join(map(allowed, schema["oneOf"]))
    types = schema.get("type", [])
    types = [types] if isinstance(types, str) else types
    words = " or ".join(TYPE_WORDS[name] for name in types if name != "null") or "any value"
    if "pattern" in schema:
        words += f" matching {schema['pattern']}"
    bounds = [f"{sign} {schema[keyword]}" for keyword, sign in BOUND_SIGNS.items() if keyword in schema]
    if bounds:
        words += " " + " and ".join(bounds)
    if "items" in schema:
        words += f" of ({allowed(schema['items'])})"
    return words + (", or null" if "null" in types else "")


def shown(value) -> str:
    """A value as it would be typed on the command line."""
    if isinstance(value, str):
        return value
    return "" if value is None else json.dumps(value)


def dotted(path) -> str:
    """asr.beam_size, subtitle_formats[1]"""
    return "".join(f"[{key}]" if isinstance(key, int) else f".{key}" for key in path).lstrip(".")


def set_by(values: dict, path):
    """The part of `path` that `values` set (all of it, or down to a list or text that holds
    the rest), or None when they do not set it."""
    node = values
    for depth, key in enumerate(path):
        if not isinstance(node, dict):
            return path[:depth]
        if key not in node:
            return None
        node = node[key]
    return path


def config_problem(
    config: dict, schema: dict, command_line: dict, configfiles=(), workflow_configfile="config/config.yaml"
):
    """One line saying what is wrong with `config`, or None when it is valid. `command_line` holds
    the --config values and `configfiles` the --configfile files: the error names the key, the
    last of these that set it (else `workflow_configfile`), and what the key allows."""
    error = best_match(Draft202012Validator(schema).iter_errors(config))
    if error is None:
        return None
    path = list(error.absolute_path)
    if error.validator == "additionalProperties":
        known = error.schema.get("properties", {})
        path.append(sorted(set(error.instance) - set(known))[0])
        under = f" under {dotted(path[:-1])}" if len(path) > 1 else ""
        problem = f"unknown key; allowed{under}: {', '.join(known)}"
    else:
        problem = f"{error.message}; allowed: {allowed(schema_at(schema, path))}"

    where = f"in {workflow_configfile} (every key: config/schemas/config.schema.yaml)"
    given = set_by(command_line, path)
    if given is not None:
        value = command_line
        for key in given:
            value = value[key]
        where = f"on the command line (--config {dotted(given)}={shown(value)})"
    else:
        for configfile in reversed(list(configfiles)):
            if set_by(load_yaml(configfile) or {}, path) is not None:
                where = f"in {configfile} (--configfile)"
                break
    return f"config key {dotted(path)}, set {where}: {problem}"


def set_defaults(validator, properties, instance, schema):
    if validator.is_type(instance, "object"):
        for key, subschema in properties.items():
            if "default" in subschema:
                instance.setdefault(key, copy.deepcopy(subschema["default"]))
    yield from Draft202012Validator.VALIDATORS["properties"](validator, properties, instance, schema)


DefaultsValidator = validators.extend(Draft202012Validator, {"properties": set_defaults})


def complete_mappings(config: dict, schema: dict) -> None:
    """A mapping the config sets where the schema's default is a non-empty mapping gets the
    default's keys it leaves out (`subtitles.max_cps: {default: 15}` keeps `hi: 22`), as if
    the config had been merged over the defaults, the way Snakemake merges --config values and
    --configfile files over config/config.yaml. Before checking: the default may hold a key
    the schema requires."""
    for key, subschema in schema.get("properties", {}).items():
        value, default = config.get(key), subschema.get("default")
        if not isinstance(value, dict):
            continue
        if isinstance(default, dict):
            for name, fallback in default.items():
                value.setdefault(name, copy.deepcopy(fallback))
        complete_mappings(value, subschema)


def fill_defaults(config: dict, schema: dict) -> None:
    """Give every key the config leaves out the schema's default, as snakemake.utils.validate
    does, without its second reading of the schema (36 ms of every run)."""
    DefaultsValidator(schema).validate(config)
