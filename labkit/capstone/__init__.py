"""The capstone: a week of simulated production traffic through the RAG service, with evals, traces,
two guard layers and a cost cap; find the planted bugs."""
