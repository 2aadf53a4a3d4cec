# Targets outside the artifact contract (out/<name>.<lang>.txt, out/<name>.avi, ...) get one
# line saying what out/ holds, instead of Snakemake's "No rule to produce". This rule matches
# any path in out/ but those the rules write (UNKNOWN_TARGET, common/outputs.smk), and ranks
# below every rule that writes there; it never runs.


rule unknown_target:
    input:
        reject_target,
    output:
        "out/{target}",
    log:
        "logs/unknown_target/{target}.log",
    wildcard_constraints:
        target=UNKNOWN_TARGET,
    localrule: True
    run:
        fail(f"{output[0]}: no rule writes this file")


ruleorder: subtitles_render > unknown_target
ruleorder: subtitles_burn > unknown_target
ruleorder: mux_video > unknown_target
