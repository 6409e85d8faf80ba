package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"time"
)

// JUnit XML as CI systems read it: one <testsuite> per kernel.
type junitSuites struct {
	XMLName xml.Name     `xml:"testsuites"`
	Name    string       `xml:"name,attr"`
	Tests   int          `xml:"tests,attr"`
	Fails   int          `xml:"failures,attr"`
	Errors  int          `xml:"errors,attr"`
	Skipped int          `xml:"skipped,attr"`
	Time    string       `xml:"time,attr"`
	Suites  []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Fails      int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
	SystemOut  string          `xml:"system-out,omitempty"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Class   string        `xml:"classname,attr"`
	Name    string        `xml:"name,attr"`
	Time    string        `xml:"time,attr"`
	Failure *junitMessage `xml:"failure,omitempty"`
	Error   *junitMessage `xml:"error,omitempty"`
	Skipped *junitMessage `xml:"skipped,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Body    string `xml:",chardata"`
}

// WriteJUnit writes JUnit XML with one testsuite per kernel. A kernel whose
// run did not complete gets an <error> test case named after the phase.
func WriteJUnit(w io.Writer, m *Matrix) error {
	root := junitSuites{Name: "bpflab matrix", Time: secs(time.Duration(m.Duration))}
	for _, k := range m.Kernels {
		s := junitSuite{
			Name: "kernel " + k.Name,
			Time: secs(time.Duration(k.Duration)),
			Properties: []junitProperty{
				{"kernel", k.Name}, {"release", k.Release}, {"suite", k.Suite}, {"package", k.Package},
				{"version", k.Version}, {"backend", k.Backend}, {"accel", k.Accel},
			},
		}
		for _, t := range k.Tests {
			c := junitCase{Class: k.Name + "." + t.Package, Name: t.Name, Time: secs(time.Duration(t.Duration))}
			switch {
			case t.Status == Fail && t.Quarantined != "":
				// Known flaky, not failing the matrix: a CI reading the
				// JUnit file must not go red either, but sees why.
				s.Skipped++
				c.Skipped = &junitMessage{Message: "quarantined (" + t.Quarantined + "), failed: " + t.Reason}
			case t.Status == Fail:
				s.Fails++
				c.Failure = &junitMessage{Message: t.Reason, Body: t.Output + "\n\nrepro: " + Repro(m, k.Name, t.Package, t.Name)}
			case t.Status == Skip:
				s.Skipped++
				c.Skipped = &junitMessage{Message: t.Reason}
			}
			s.Cases = append(s.Cases, c)
		}
		if k.Error != "" {
			s.Errors++
			s.Cases = append(s.Cases, junitCase{
				Class: k.Name + ".kernel", Name: k.ErrorPhase, Time: "0",
				Error: &junitMessage{Message: firstLine(k.Error), Body: k.Error + "\n\nconsole tail:\n" + k.ConsoleTail},
			})
		}
		for _, sp := range k.UnallowedSplats() {
			s.Fails++
			s.Cases = append(s.Cases, junitCase{
				Class: k.Name + ".kernel", Name: "splat: " + sp.Kind, Time: "0",
				Failure: &junitMessage{Message: sp.Line, Body: sp.Text},
			})
		}
		s.Tests = len(s.Cases)
		root.Tests += s.Tests
		root.Fails += s.Fails
		root.Errors += s.Errors
		root.Skipped += s.Skipped
		root.Suites = append(root.Suites, s)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return fmt.Errorf("write junit: %w", err)
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(root); err != nil {
		return fmt.Errorf("write junit: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func secs(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }
