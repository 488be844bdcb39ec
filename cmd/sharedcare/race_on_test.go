//go:build race

package main

// raceDetector: this test binary runs under -race, which multiplies memory
// and time several-fold.
const raceDetector = true
