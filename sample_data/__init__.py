"""The 2020 report of Stadt Aachen as a plain source file (installed as ``sachstand.sample_data``)."""
