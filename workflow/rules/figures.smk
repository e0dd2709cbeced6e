# Figures: one job per catalogue table with a `figure:` (analysis/figures/<figure_id>.svg for
# the HTML, .png rasterised once at print resolution for the PDF) plus its generated text
# description (.txt, the alt text).


rule figure:
    input:
        table=f"{ANALYSIS}/tables/{{figure_id}}.csv",
    output:
        svg=f"{ANALYSIS}/figures/{{figure_id}}.svg",
        png=f"{ANALYSIS}/figures/{{figure_id}}.png",
        txt=f"{ANALYSIS}/figures/{{figure_id}}.txt",
    params:
        kind=lambda wc: table_spec(wc.figure_id)["figure"],
        title=lambda wc: table_spec(wc.figure_id)["title"],
        register=lambda wc: table_spec(wc.figure_id).get("kind", "survey") == "register",
        demo=config["project"]["demo"],
    log:
        f"{ANALYSIS}/logs/figure/{{figure_id}}.log",
    wildcard_constraints:
        figure_id="|".join(figure_ids()) or "NO_FIGURES",
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    script:
        "../scripts/figure.py"
