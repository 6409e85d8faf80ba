package report

import (
	"encoding/json"
	"fmt"
	"io"
)

// WriteJSON writes the whole matrix as indented JSON (durations in seconds).
func WriteJSON(w io.Writer, m *Matrix) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(m); err != nil {
		return fmt.Errorf("write json: %w", err)
	}
	return nil
}
