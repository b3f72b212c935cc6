package train

// readRecords is readMetrics without the torn flag: the records a test's run
// wrote (the verbs read them with runs.Metrics, which train cannot import).
func readRecords(dir string) ([]Record, error) {
	recs, _, err := readMetrics(dir)
	return recs, err
}
