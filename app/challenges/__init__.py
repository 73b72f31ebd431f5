"""Design challenges: challenges, designs, scores, winners and the draft products they become."""
