import numpy as np
import pandas as pd
import pytest


@pytest.fixture
def mixed_frame() -> pd.DataFrame:
    """200 rows: numeric a (with NaN), b; string city; binary label."""
    rng = np.random.default_rng(0)
    n = 200
    a = rng.normal(50, 10, n)
    a[::9] = np.nan
    b = rng.normal(0, 1, n)
    city = rng.choice(["paris", "lyon", "nice"], n)
    score = (np.nan_to_num(a, nan=50) - 50) / 10 + (city == "nice") * 1.5 + rng.normal(0, 0.5, n)
    label = np.where(score > 0.3, "yes", "no")
    return pd.DataFrame({"a": a, "b": b, "city": city, "label": label})
