"""Score a book that outgrows one machine on Spark (extra ``[spark]``: pyspark >= 3.5, Java 17).

The same validation, features, scores and decisions as the pandas path
(:func:`bnpl_risk.batch.score_book`), per group of whole customers in
``applyInPandas``, the model artifact broadcast to the executors. See
``docs/spark.md`` for running it on a cluster.

pyspark is imported only when a function runs, so ``import bnpl_risk``
works without it.
"""

from bnpl_risk.spark.score import SparkResult, read_tables, score_spark

__all__ = ["SparkResult", "read_tables", "score_spark"]
